import type { Kysely } from 'kysely';

import { PgferryError } from '../errors/pgferry-error.js';
import { getBackupJob } from '../store/backup-job-repository.js';
import { enqueueRun, getRun } from '../store/run-repository.js';
import type { RunRow, RunStatus, RunTrigger, StoreDatabase } from '../store/store-types.js';
import { type SyncJob, assertBatchSyncJob, getSyncJob } from '../store/sync-job-repository.js';
import { syncRunParamsSchema } from './job-input-schemas.js';

/** Queues a run of a saved job now ("run now"); refused while the job has an active run. */
export async function runJobNow(
  db: Kysely<StoreDatabase>,
  kind: 'sync' | 'backup',
  idOrName: string,
  options: { trigger: Extract<RunTrigger, 'manual' | 'api' | 'cli'>; createdBy?: string | null; params?: Record<string, unknown> },
): Promise<RunRow> {
  const job = kind === 'sync' ? await getSyncJob(db, idOrName) : await getBackupJob(db, idOrName);
  if (kind === 'sync') assertBatchSyncJob(job as SyncJob, 'run');
  const params = kind === 'sync' ? syncRunParams(options.params) : backupRunParams(options.params);
  // Resuming through "run now" is the same as resuming the run: it must be this job's, and have ended failed or cancelled.
  const resumeOf = kind === 'sync' && typeof params.resume === 'string' ? await resumableRun(db, params.resume, job.id) : null;
  return enqueueRun(db, {
    kind,
    syncJobId: kind === 'sync' ? job.id : null,
    backupJobId: kind === 'backup' ? job.id : null,
    jobName: job.name,
    trigger: options.trigger,
    params,
    resumeOf,
    createdBy: options.createdBy ?? null,
  });
}

function syncRunParams(params: Record<string, unknown> | undefined): Record<string, unknown> {
  const parsed = syncRunParamsSchema.safeParse(params ?? {});
  if (!parsed.success) {
    throw new PgferryError('PGF_VALIDATION_FAILED', `run parameters: ${parsed.error.issues.map((issue) => `${issue.path.join('.') || 'params'}: ${issue.message}`).join('; ')}; a sync run takes {"resume": "<run id>"} and {"verify": true|false}`);
  }
  return parsed.data;
}

function backupRunParams(params: Record<string, unknown> | undefined): Record<string, unknown> {
  const keys = Object.keys(params ?? {});
  if (keys.length > 0) throw new PgferryError('PGF_VALIDATION_FAILED', `run parameters: a backup run takes none (got ${keys.join(', ')}); change the job instead`);
  return {};
}

async function resumableRun(db: Kysely<StoreDatabase>, runId: string, jobId: string): Promise<string> {
  const run = await getRun(db, runId);
  if (run.sync_job_id !== jobId) throw new PgferryError('PGF_VALIDATION_FAILED', `run parameters: resume: run ${run.id} is not a run of this job; resume it from its own job`);
  assertEnded(run, 'resumed', ['failed', 'cancelled']);
  return run.id;
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
    // A retry starts over: it keeps the run's switches, not what it resumed.
    params: withoutResume(run.params),
    retryOf: run.id,
    createdBy,
  });
}

/**
 * Continues a failed or cancelled sync run: tables it committed are skipped, split tables
 * restart at their first unfinished range (the executor follows `resume_of`).
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
    params: { ...withoutResume(run.params), resume: run.id },
    resumeOf: run.id,
    createdBy,
  });
}

function withoutResume(params: unknown): Record<string, unknown> {
  const { resume: _resume, ...rest } = (params ?? {}) as Record<string, unknown>;
  return rest;
}
