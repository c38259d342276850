import type { RunOutcome } from '../../store/run-repository.js';
import { missingObjectsMessage } from '../../store/run-statuses.js';
import type { RunResult } from '../run-executor.js';
import type { AbortKind } from './worker-events.js';

/** Why a run was aborted, carried on its AbortSignal so the run ends with the right status. */
export interface AbortReason {
  kind: AbortKind;
  message: string;
}

export function abortReason(signal: AbortSignal): AbortReason | undefined {
  const reason = signal.reason as AbortReason | undefined;
  return signal.aborted && reason && typeof reason === 'object' && 'kind' in reason ? reason : undefined;
}

/** How an aborted run ends: cancelled on request, failed otherwise, each with its own code. */
export function abortedOutcome(reason: AbortReason): RunOutcome {
  if (reason.kind === 'cancel') return { status: 'cancelled', errorCode: 'PGF_RUN_CANCELLED', errorMessage: reason.message };
  if (reason.kind === 'timeout') return { status: 'failed', errorCode: 'PGF_RUN_TIMEOUT', errorMessage: reason.message };
  if (reason.kind === 'shutdown') return { status: 'failed', errorCode: 'PGF_WORKER_SHUTDOWN', errorMessage: reason.message };
  return { status: 'failed', errorCode: 'PGF_WORKER_LOST', errorMessage: reason.message };
}

/** What a returned result stores: errors for failed runs, the missing objects for incomplete ones. */
export function finishedOutcome(result: RunResult): RunOutcome {
  if (result.status === 'succeeded') return { status: 'succeeded', errorCode: null, errorMessage: null };
  if (result.status === 'failed') {
    return { status: 'failed', missingObjects: result.missingObjects ?? [], errorCode: result.errorCode ?? 'PGF_INTERNAL', errorMessage: result.errorMessage ?? 'the run failed' };
  }
  const missing = result.missingObjects ?? [];
  return {
    status: 'incomplete',
    missingObjects: missing,
    errorCode: result.errorCode ?? 'PGF_RUN_INCOMPLETE',
    errorMessage: result.errorMessage ?? missingObjectsMessage(missing),
  };
}
