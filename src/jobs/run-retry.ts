import type { Kysely } from 'kysely';

import { isPgferryError } from '../errors/pgferry-error.js';
import type { Logger } from '../logger.js';
import { enqueueRun } from '../store/run-repository.js';
import type { RunRow, StoreDatabase } from '../store/store-types.js';
import { type StoreDb } from '../store/repository-helpers.js';

export interface JobPolicy {
  name: string | null;
  retry_max: number;
  retry_backoff_s: number;
  timeout_s: number | null;
}

const noJob: JobPolicy = { name: null, retry_max: 0, retry_backoff_s: 60, timeout_s: null };
const maxBackoffS = 6 * 3600;

/** The retry and timeout policy of the run's job (none for ad-hoc runs or deleted jobs). */
export async function loadJobPolicy(db: StoreDb, run: Pick<RunRow, 'sync_job_id' | 'backup_job_id'>): Promise<JobPolicy> {
  const columns = ['name', 'retry_max', 'retry_backoff_s', 'timeout_s'] as const;
  if (run.sync_job_id) return (await db.selectFrom('sync_jobs').select(columns).where('id', '=', run.sync_job_id).executeTakeFirst()) ?? noJob;
  if (run.backup_job_id) return (await db.selectFrom('backup_jobs').select(columns).where('id', '=', run.backup_job_id).executeTakeFirst()) ?? noJob;
  return noJob;
}

/** Capped exponential backoff: base, 2×base, 4×base, … for attempts 1, 2, 3, … */
export function retryDelaySeconds(policy: Pick<JobPolicy, 'retry_backoff_s'>, attempt: number): number {
  return Math.min(maxBackoffS, policy.retry_backoff_s * 2 ** Math.max(0, attempt - 1));
}

/**
 * After a failure (not a cancel), queues the next attempt when the job's policy allows.
 * Runs inside the transaction that marked the run failed, so a failure is never left without
 * its retry. Returns the new run, if any.
 */
export async function queueRetryIfAllowed(tx: Kysely<StoreDatabase>, run: RunRow, logger: Logger): Promise<RunRow | undefined> {
  if (run.status !== 'failed') return undefined;
  const policy = await loadJobPolicy(tx, run);
  if (run.attempt > policy.retry_max) return undefined;
  const delay = retryDelaySeconds(policy, run.attempt);
  return queueFollowUp(tx, run, logger, {
    attempt: run.attempt + 1,
    scheduledFor: new Date(Date.now() + delay * 1000),
    level: 'info',
    note: (retry) => `retry ${retry.attempt - 1} of ${policy.retry_max} queued as run ${retry.id}, starting in ${delay} s`,
    skipped: 'no retry queued: the job already has an active run',
  });
}

/**
 * Queues the run that takes over from `run` (a retry, or a hand-back) inside the caller's
 * transaction and notes it in `run`'s log. When the job already has an active run (someone
 * started it meanwhile), that run stands in for it: nothing is queued.
 */
export async function queueFollowUp(
  tx: Kysely<StoreDatabase>,
  run: RunRow,
  logger: Logger,
  next: { attempt: number; scheduledFor?: Date; createdBy?: string | null; level: 'info' | 'warn'; note: (queued: RunRow) => string; skipped: string },
): Promise<RunRow | undefined> {
  try {
    const queued = await enqueueRun(tx, {
      kind: run.kind,
      syncJobId: run.sync_job_id,
      backupJobId: run.backup_job_id,
      jobName: run.job_name,
      trigger: 'retry',
      params: run.params as Record<string, unknown>,
      scheduledFor: next.scheduledFor ?? null,
      attempt: next.attempt,
      retryOf: run.id,
      createdBy: next.createdBy ?? null,
    });
    await tx.insertInto('run_logs').values({ run_id: run.id, level: next.level, message: next.note(queued) }).execute();
    return queued;
  } catch (error) {
    if (isPgferryError(error) && error.code === 'PGF_JOB_ALREADY_RUNNING') {
      logger.info({ runId: run.id }, next.skipped);
      return undefined;
    }
    throw error;
  }
}
