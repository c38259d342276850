import type { Kysely } from 'kysely';

import { PgferryError } from '../errors/pgferry-error.js';
import { getBackupJob } from '../store/backup-job-repository.js';
import { enqueueRun, getRun } from '../store/run-repository.js';
import type { RunRow, RunStatus, RunTrigger, StoreDatabase } from '../store/store-types.js';
import { getSyncJob } from '../store/sync-job-repository.js';

/** Queues a run of a saved job now ("run now"); refused while the job has an active run. */
export async function runJobNow(
  db: Kysely<StoreDatabase>,
  kind: 'sync' | 'backup',
  idOrName: string,
  options: { trigger: Extract<RunTrigger, 'manual' | 'api' | 'cli'>; createdBy?: string | null; params?: Record<string, unknown> },
): Promise<RunRow> {
  const job = kind === 'sync' ? await getSyncJob(db, idOrName) : await getBackupJob(db, idOrName);
  return enqueueRun(db, {
    kind,
    syncJobId: kind === 'sync' ? job.id : null,
    backupJobId: kind === 'backup' ? job.id : null,
    jobName: job.name,
    trigger: options.trigger,
    params: options.params ?? {},
    createdBy: options.createdBy ?? null,
  });
}

function assertEnded(run: RunRow, action: string, allowed: readonly RunStatus[]): void {
  if (!allowed.includes(run.status)) {
    const list = allowed.length > 2 ? `${allowed.slice(0, -1).join(', ')} or ${allowed.at(-1)}` : allowed.join(' or ');
    throw new PgferryError('PGF_CONFLICT', `run ${run.id} is ${run.status}; only a ${list} run can be ${action}`, {
      details: { status: run.status },
    });
  }
}

/**
 * Runs the same job again from the start (a fresh attempt counter). An incomplete run can be
 * retried too, once what the destination lacked (an extension, a role…) is there.
 */
export async function retryRun(db: Kysely<StoreDatabase>, runId: string, createdBy: string | null = null): Promise<RunRow> {
  const run = await getRun(db, runId);
  assertEnded(run, 'retried', ['failed', 'incomplete', 'cancelled']);
  return enqueueRun(db, {
    kind: run.kind,
    syncJobId: run.sync_job_id,
    backupJobId: run.backup_job_id,
    jobName: run.job_name,
    trigger: 'retry',
    params: run.params as Record<string, unknown>,
    retryOf: run.id,
    createdBy,
  });
}

/**
 * Continues a failed or cancelled sync run: tables it committed are skipped, split tables
 * restart at their first unfinished range (the sync engine reads `params.resume`).
 */
export async function resumeRun(db: Kysely<StoreDatabase>, runId: string, createdBy: string | null = null): Promise<RunRow> {
  const run = await getRun(db, runId);
  if (run.kind !== 'sync') {
    throw new PgferryError('PGF_CONFLICT', `run ${run.id} is a ${run.kind} run; only sync runs can be resumed (use retry)`);
  }
  assertEnded(run, 'resumed', ['failed', 'cancelled']);
  return enqueueRun(db, {
    kind: 'sync',
    syncJobId: run.sync_job_id,
    jobName: run.job_name,
    trigger: 'resume',
    params: { ...(run.params as Record<string, unknown>), resume: { run_id: run.id, tables: run.tables } },
    resumeOf: run.id,
    createdBy,
  });
}
