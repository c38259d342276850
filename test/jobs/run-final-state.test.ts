import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { JobWorker } from '../../src/jobs/job-worker.js';
import { runJobNow } from '../../src/jobs/run-service.js';
import { getRun, reapDeadRuns, requestCancel } from '../../src/store/run-repository.js';
import { createSyncJob } from '../../src/jobs/sync-job-service.js';
import { trackResource } from '../helpers/leak-check.js';
import { createTestStore } from '../helpers/test-database.js';
import { insertConnections, quietLogger, sleepExecutor, testSecrets, waitFor } from './job-fixtures.js';

// A run's final state is whole (issue 14, item 8): no table stays "running" once the run ended.
let store: Awaited<ReturnType<typeof createTestStore>>;
let connections: { source: string; destination: string };
let count = 0;

beforeAll(async () => {
  store = await createTestStore();
  connections = await insertConnections(store.db);
});
afterAll(async () => {
  await store.close();
});

async function runWith(executor: ReturnType<typeof sleepExecutor>, act: (runId: string) => Promise<void>) {
  count += 1;
  const job = await createSyncJob(store.db, { name: `final-${count}`, source_connection_id: connections.source, destination_connection_id: connections.destination });
  const worker = new JobWorker({ db: store.db, secrets: testSecrets(), logger: quietLogger(), executors: { sync: executor }, pollIntervalMs: 50, heartbeatIntervalMs: 100, scheduler: false });
  const release = trackResource('job worker', () => worker.stop(0));
  worker.start();
  try {
    const run = await runJobNow(store.db, 'sync', job.id, { trigger: 'manual' });
    await act(run.id);
    return await waitFor(async () => {
      const row = await getRun(store.db, run.id);
      return ['succeeded', 'failed', 'cancelled'].includes(row.status) ? row : undefined;
    }, 120_000, 'the run to end');
  } finally {
    release();
    await worker.stop(0);
  }
}

describe('a run that ended', () => {
  it('failed: the table in flight is failed, with the reason', async () => {
    const run = await runWith(sleepExecutor(200, { failTimes: 1 }), async () => undefined);
    expect(run.status).toBe('failed');
    expect(run.tables).toEqual([expect.objectContaining({ table: 'public.t', status: 'failed', error: 'the run failed before this table finished' })]);
  });

  it('cancelled: the table in flight is cancelled', async () => {
    const run = await runWith(sleepExecutor(600_000), async (runId) => {
      await waitFor(async () => (await getRun(store.db, runId)).status === 'running', 60_000, 'the run to start');
      await requestCancel(store.db, runId);
    });
    expect(run.status).toBe('cancelled');
    expect(run.tables).toEqual([expect.objectContaining({ status: 'cancelled', error: 'the run was cancelled before this table finished' })]);
  });

  it('reaped after its worker died: the running tables are failed, finished ones stay', async () => {
    count += 1;
    const job = await createSyncJob(store.db, { name: `final-${count}`, source_connection_id: connections.source, destination_connection_id: connections.destination });
    const tables = [{ table: 'public.a', status: 'succeeded', rows: 3, bytes: 30 }, { table: 'public.b', status: 'running', rows: 1, bytes: 10 }, { table: 'public.c', status: 'pending', rows: 0, bytes: 0 }];
    const [row] = await store.db
      .insertInto('runs')
      .values({ kind: 'sync', sync_job_id: job.id, job_name: job.name, trigger: 'manual', status: 'running', worker_id: 'gone', started_at: sql`now() - interval '10 minutes'`, heartbeat_at: sql`now() - interval '10 minutes'`, params: '{}', tables: JSON.stringify(tables), total_rows: 4, total_bytes: 40 })
      .returning('id')
      .execute();
    await reapDeadRuns(store.db, 30_000);
    const run = await getRun(store.db, row!.id);
    expect(run.status).toBe('failed');
    expect((run.tables as { status: string }[]).map((t) => t.status)).toEqual(['succeeded', 'failed', 'failed']);
  });
});
