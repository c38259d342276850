import type { Kysely } from 'kysely';

import { isPgferryError } from '../../errors/pgferry-error.js';
import type { Logger } from '../../logger.js';
import { enqueueRun } from '../../store/run-repository.js';
import type { RunRow, StoreDatabase } from '../../store/store-types.js';

/**
 * Queues the run a shutting-down worker could not finish, once and at once, whatever the job's
 * retry budget (leaving was not the run's fault, so the attempt number stays). Runs in the
 * transaction that stored the end of the run: the new run exists only once the old one is
 * ended, so the two never run side by side. It starts over, in one snapshot of its own.
 */
export async function queueHandBack(tx: Kysely<StoreDatabase>, run: RunRow, logger: Logger): Promise<RunRow | undefined> {
  try {
    const next = await enqueueRun(tx, {
      kind: run.kind,
      syncJobId: run.sync_job_id,
      backupJobId: run.backup_job_id,
      jobName: run.job_name,
      trigger: 'retry',
      params: run.params as Record<string, unknown>,
      attempt: run.attempt,
      retryOf: run.id,
      createdBy: run.created_by,
    });
    await tx.insertInto('run_logs').values({ run_id: run.id, level: 'warn', message: `handed back: run ${next.id} starts it again on another worker` }).execute();
    return next;
  } catch (error) {
    // Someone started the job meanwhile: that run stands in for this one.
    if (isPgferryError(error) && error.code === 'PGF_JOB_ALREADY_RUNNING') {
      logger.info({ runId: run.id }, 'not handed back: the job already has an active run');
      return undefined;
    }
    throw error;
  }
}
