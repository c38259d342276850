import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { JobWorker } from '../../src/jobs/job-worker.js';
import { listRunLogs, pruneRunHistory } from '../../src/store/run-log-repository.js';
import { enqueueRun, getRun, requestCancel } from '../../src/store/run-repository.js';
import { createSyncJob } from '../../src/jobs/sync-job-service.js';
import { trackResource } from '../helpers/leak-check.js';
import { createTestStore } from '../helpers/test-database.js';
import { insertConnections, quietLogger, sleepExecutor, testSecrets, waitFor } from './job-fixtures.js';

let store: Awaited<ReturnType<typeof createTestStore>>;
let connections: { source: string; destination: string };

beforeAll(async () => {
  store = await createTestStore();
  connections = await insertConnections(store.db);
});
afterAll(async () => {
  await store.close();
});

function startWorker(executor: ReturnType<typeof sleepExecutor>, options: { scheduler?: boolean; deadAfterMs?: number } = {}) {
  const worker = new JobWorker({
    db: store.db,
    secrets: testSecrets(),
    logger: quietLogger(),
    executors: { sync: executor },
    concurrency: 2,
    pollIntervalMs: 100,
    heartbeatIntervalMs: 200,
    deadAfterMs: options.deadAfterMs ?? 30_000,
    scheduler: options.scheduler ?? true,
  });
  const release = trackResource('job worker', () => worker.stop(0));
  worker.start();
  return {
    worker,
    stop: async () => {
      release();
      await worker.stop(0);
    },
  };
}

let counter = 0;
async function newJob(overrides: Record<string, unknown> = {}) {
  counter += 1;
  return createSyncJob(store.db, {
    name: `job-${counter}-${Date.now()}`,
    source_connection_id: connections.source,
    destination_connection_id: connections.destination,
    ...overrides,
  });
}

const finished = (runId: string) => waitFor(async () => {
  const run = await getRun(store.db, runId);
  return ['succeeded', 'failed', 'cancelled'].includes(run.status) ? run : undefined;
}, 15_000, `run ${runId} to finish`);

describe('job worker', () => {
  it('runs a queued run: running at start, succeeded at the end with figures, worker id and log lines', async () => {
    const executor = sleepExecutor(300);
    const job = await newJob();
    const run = await enqueueRun(store.db, { kind: 'sync', syncJobId: job.id, jobName: job.name, trigger: 'manual' });
    const { worker, stop } = startWorker(executor);
    try {
      const running = await waitFor(async () => {
        const current = await getRun(store.db, run.id);
        return current.status === 'running' ? current : undefined;
      });
      expect(running.started_at).not.toBeNull();
      expect(running.worker_id).toBe(worker.workerId);
      const done = await finished(run.id);
      expect(done).toMatchObject({ status: 'succeeded', total_rows: '2', total_bytes: '20', attempt: 1, error_message: null });
      expect(done.finished_at!.getTime()).toBeGreaterThanOrEqual(done.started_at!.getTime());
      expect(done.tables).toEqual([{ table: 'public.t', status: 'succeeded', rows: 2, bytes: 20 }]);
      const logs = await listRunLogs(store.db, run.id, { limit: 100 });
      expect(logs.map((line) => line.message)).toEqual(
        expect.arrayContaining([expect.stringContaining('run started on worker'), 'sleeping 300 ms', expect.stringContaining('run succeeded')]),
      );
      expect(logs.find((line) => line.message === 'sleeping 300 ms')?.table_name).toBe('public.t');
    } finally {
      await stop();
    }
  });

  it('refuses a second active run of the same job', async () => {
    const job = await newJob();
    await enqueueRun(store.db, { kind: 'sync', syncJobId: job.id, jobName: job.name, trigger: 'manual' });
    await expect(enqueueRun(store.db, { kind: 'sync', syncJobId: job.id, jobName: job.name, trigger: 'api' })).rejects.toMatchObject({
      code: 'PGF_JOB_ALREADY_RUNNING',
    });
    await sql`UPDATE runs SET status = 'cancelled', finished_at = now() WHERE sync_job_id = ${job.id}`.execute(store.db);
  });

  it('cancels a running run: the executor sees the abort and the run ends cancelled', async () => {
    const executor = sleepExecutor(60_000);
    const job = await newJob();
    const run = await enqueueRun(store.db, { kind: 'sync', syncJobId: job.id, jobName: job.name, trigger: 'manual' });
    const { stop } = startWorker(executor);
    try {
      await waitFor(async () => (await getRun(store.db, run.id)).status === 'running');
      await requestCancel(store.db, run.id);
      const done = await finished(run.id);
      expect(done.status).toBe('cancelled');
      expect(done.error_code).toBe('PGF_RUN_CANCELLED');
      // A cancel is never retried.
      const retries = await store.db.selectFrom('runs').select('id').where('retry_of', '=', run.id).execute();
      expect(retries).toHaveLength(0);
    } finally {
      await stop();
    }
  });

  it('cancels a queued run at once', async () => {
    const job = await newJob();
    const run = await enqueueRun(store.db, { kind: 'sync', syncJobId: job.id, jobName: job.name, trigger: 'manual' });
    const cancelled = await requestCancel(store.db, run.id);
    expect(cancelled.status).toBe('cancelled');
    await expect(requestCancel(store.db, run.id)).rejects.toMatchObject({ code: 'PGF_RUN_NOT_CANCELLABLE' });
  });

  it('fails a run that exceeds its timeout', async () => {
    const executor = sleepExecutor(60_000);
    const job = await newJob({ timeout_s: 1 });
    const run = await enqueueRun(store.db, { kind: 'sync', syncJobId: job.id, jobName: job.name, trigger: 'manual' });
    const { stop } = startWorker(executor);
    try {
      const done = await finished(run.id);
      expect(done).toMatchObject({ status: 'failed', error_code: 'PGF_RUN_TIMEOUT' });
      expect(done.error_message).toContain('timeout of 1 s');
    } finally {
      await stop();
    }
  });

  it('retries a failed run with backoff until it succeeds, within the policy', async () => {
    const executor = sleepExecutor(10, { failTimes: 1 });
    const job = await newJob({ retry_max: 2, retry_backoff_s: 1 });
    const run = await enqueueRun(store.db, { kind: 'sync', syncJobId: job.id, jobName: job.name, trigger: 'manual' });
    const { stop } = startWorker(executor);
    try {
      const first = await finished(run.id);
      expect(first).toMatchObject({ status: 'failed', error_message: 'planned failure 1' });
      // The stack (server paths) goes to the process log, never to the run viewers read.
      expect(first.error_stack).toBeNull();
      const retry = await waitFor(() => store.db.selectFrom('runs').selectAll().where('retry_of', '=', run.id).executeTakeFirst());
      expect(retry).toMatchObject({ trigger: 'retry', attempt: 2 });
      // The backoff (1 s after attempt 1) is the earliest start.
      expect(retry.scheduled_for!.getTime()).toBeGreaterThanOrEqual(first.finished_at!.getTime() + 900);
      const second = await finished(retry.id);
      expect(second.status).toBe('succeeded');
      expect(second.started_at!.getTime()).toBeGreaterThanOrEqual(retry.scheduled_for!.getTime());
    } finally {
      await stop();
    }
  });

  it('skips a tick while the job is still running and logs the skip on the job and the run', async () => {
    const executor = sleepExecutor(3000);
    const job = await newJob({ cron: '* * * * * *' });
    const { stop } = startWorker(executor);
    try {
      const first = await waitFor(() =>
        store.db.selectFrom('runs').selectAll().where('sync_job_id', '=', job.id).where('status', '=', 'running').executeTakeFirst(),
      );
      const skipped = await waitFor(async () => {
        const row = await store.db.selectFrom('sync_jobs').select(['skipped_ticks', 'last_skipped_tick_at']).where('id', '=', job.id).executeTakeFirstOrThrow();
        return row.skipped_ticks > 0 ? row : undefined;
      });
      expect(skipped.last_skipped_tick_at).not.toBeNull();
      const logs = await listRunLogs(store.db, first.id, { limit: 100 });
      expect(logs.some((line) => line.level === 'warn' && line.message.includes('skipped'))).toBe(true);
      await store.db.updateTable('sync_jobs').set({ enabled: false }).where('id', '=', job.id).execute();
      await requestCancel(store.db, first.id);
      await finished(first.id);
    } finally {
      await stop();
    }
  });

  it('fails a run whose worker stopped heartbeating and queues its retry', async () => {
    const executor = sleepExecutor(10);
    const job = await newJob({ retry_max: 1, retry_backoff_s: 1 });
    const ghost = await enqueueRun(store.db, { kind: 'sync', syncJobId: job.id, jobName: job.name, trigger: 'manual' });
    await sql`UPDATE runs SET status = 'running', started_at = now() - interval '1 minute',
      heartbeat_at = now() - interval '1 minute', worker_id = 'ghost-worker' WHERE id = ${ghost.id}`.execute(store.db);
    const { stop } = startWorker(executor, { deadAfterMs: 2000 });
    try {
      const failed = await finished(ghost.id);
      expect(failed).toMatchObject({ status: 'failed', error_code: 'PGF_WORKER_LOST' });
      expect(failed.error_message).toContain('ghost-worker');
      const retry = await waitFor(() => store.db.selectFrom('runs').selectAll().where('retry_of', '=', ghost.id).executeTakeFirst());
      expect((await finished(retry.id)).status).toBe('succeeded');
    } finally {
      await stop();
    }
  });

  it('prunes finished runs and log lines older than the retention, keeping active runs and runs that made backups', async () => {
    const job = await newJob();
    const old = new Date(Date.now() - 40 * 86_400_000);
    const insert = (status: 'succeeded' | 'running') =>
      store.db
        .insertInto('runs')
        .values({ kind: 'sync', sync_job_id: status === 'running' ? job.id : null, trigger: 'manual', status, queued_at: old, started_at: old, finished_at: status === 'running' ? null : old, params: '{}', tables: '[]', total_rows: 0, total_bytes: 0 })
        .returning('id')
        .executeTakeFirstOrThrow();
    const expired = await insert('succeeded');
    const withBackup = await insert('succeeded');
    const active = await insert('running');
    const recent = await enqueueRun(store.db, { kind: 'sync', trigger: 'manual' });
    const storage = await store.db.insertInto('storages').values({ name: `prune-${Date.now()}`, kind: 'local', config: JSON.stringify({ path: '/tmp/x' }) }).returning('id').executeTakeFirstOrThrow();
    await store.db.insertInto('backups').values({ run_id: withBackup.id, storage_id: storage.id, database_name: 'd', location: `l-${Date.now()}`, format: 'native', compression: 'gzip', size_bytes: 0 }).execute();
    await store.db.insertInto('run_logs').values([
      { run_id: active.id, level: 'info', message: 'old line', at: old },
      { run_id: active.id, level: 'info', message: 'new line' },
    ]).execute();
    const pruned = await pruneRunHistory(store.db, 30);
    expect(pruned.runs).toBeGreaterThanOrEqual(1);
    const left = await store.db.selectFrom('runs').select('id').where('id', 'in', [expired.id, withBackup.id, active.id, recent.id]).execute();
    expect(left.map((row) => row.id).sort()).toEqual([withBackup.id, active.id, recent.id].sort());
    expect((await listRunLogs(store.db, active.id, { limit: 10 })).map((line) => line.message)).toEqual(['new line']);
    await sql`UPDATE runs SET status = 'cancelled', finished_at = now() WHERE id IN (${active.id}, ${recent.id})`.execute(store.db);
  });

  it('starts a queued run on its announcement, without waiting for the next poll', async () => {
    const worker = new JobWorker({ db: store.db, listenPool: store.pool, secrets: testSecrets(), logger: quietLogger(), executors: { sync: sleepExecutor(10) }, pollIntervalMs: 3_600_000, heartbeatIntervalMs: 200 });
    const release = trackResource('job worker', () => worker.stop(0));
    worker.start();
    try {
      // Let the first poll (at start) and the LISTEN happen, then queue: only the notification can start it.
      await new Promise((resolve) => setTimeout(resolve, 500));
      const job = await newJob();
      const run = await enqueueRun(store.db, { kind: 'sync', syncJobId: job.id, jobName: job.name, trigger: 'api' });
      expect((await finished(run.id)).status).toBe('succeeded');
    } finally {
      release();
      await worker.stop(0);
    }
  });
});
