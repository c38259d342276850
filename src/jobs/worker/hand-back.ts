import type { Kysely } from 'kysely';

import type { Logger } from '../../logger.js';
import type { RunRow, StoreDatabase } from '../../store/store-types.js';
import { queueFollowUp } from '../run-retry.js';

/**
 * Queues the run a shutting-down worker could not finish, once and at once, whatever the job's
 * retry budget (leaving was not the run's fault, so the attempt number stays). Runs in the
 * transaction that stored the end of the run: the new run exists only once the old one is
 * ended, so the two never run side by side. It starts over, in one snapshot of its own.
 */
export function queueHandBack(tx: Kysely<StoreDatabase>, run: RunRow, logger: Logger): Promise<RunRow | undefined> {
  return queueFollowUp(tx, run, logger, {
    attempt: run.attempt,
    createdBy: run.created_by,
    level: 'warn',
    note: (next) => `handed back: run ${next.id} starts it again on another worker`,
    skipped: 'not handed back: the job already has an active run',
  });
}
