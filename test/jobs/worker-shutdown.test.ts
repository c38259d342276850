import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { JobWorker } from '../../src/jobs/job-worker.js';
import type { RunExecutor } from '../../src/jobs/run-executor.js';
import { claimRuns, enqueueRun, getRun } from '../../src/store/run-repository.js';
import { createSyncJob } from '../../src/jobs/sync-job-service.js';
import { trackResource } from '../helpers/leak-check.js';
import { createTestStore } from '../helpers/test-database.js';
import { insertConnections, quietLogger, testSecrets, waitFor } from './job-fixtures.js';

// Graceful shutdown (issue 14, items 9 and 10): a run that drains keeps its heartbeat, so no
// other worker reaps it and retries it beside it; runs claimed while stopping never start.
let store: Awaited<ReturnType<typeof createTestStore>>;
let connections: { source: string; destination: string };

beforeAll(async () => {
  store = await createTestStore();
  connections = await insertConnections(store.db, 'shutdown');
});
afterAll(async () => {
  await store.close();
});

/** An executor that runs until the test opens its gate. */
function gatedExecutor() {
  let open = () => {};
  const gate = new Promise<void>((resolve) => (open = resolve));
  const started: string[] = [];
  const executor: RunExecutor = async (run) => {
    started.push(run.id);
    await gate;
    return { status: 'succeeded', tables: [], totalRows: 0, totalBytes: 0 };
  };
  return { executor, open, started };
}

describe('worker shutdown', () => {
  it('keeps heartbeating a draining run until it ends, so it runs exactly once', async () => {
    const job = await createSyncJob(store.db, { name: `drain-${Date.now()}`, source_connection_id: connections.source, destination_connection_id: connections.destination });
    const gated = gatedExecutor();
    const worker = new JobWorker({ db: store.db, secrets: testSecrets(), logger: quietLogger(), executors: { sync: gated.executor }, pollIntervalMs: 100, heartbeatIntervalMs: 100, scheduler: false });
    const release = trackResource('job worker', () => worker.stop(0));
    worker.start();
    try {
      const queued = await enqueueRun(store.db, { kind: 'sync', trigger: 'manual', syncJobId: job.id });
      await waitFor(async () => gated.started.includes(queued.id), undefined, 'the run to start');
      const stopping = worker.stop(3_600_000);
      // Heartbeats go on while the run drains: heartbeat_at moves past the moment stop began.
      const stopBegan = (await getRun(store.db, queued.id)).heartbeat_at!;
      await waitFor(async () => ((await getRun(store.db, queued.id)).heartbeat_at ?? stopBegan) > stopBegan, undefined, 'a heartbeat during the drain');
      gated.open();
      await stopping;
      release();
      const run = await getRun(store.db, queued.id);
      expect(run.status).toBe('succeeded');
      const retries = await store.db.selectFrom('runs').select('id').where('retry_of', '=', queued.id).execute();
      expect(retries).toEqual([]);
    } finally {
      gated.open();
      release();
      await worker.stop(0);
    }
  });

  it('hands back runs claimed while it stops: they stay queued for another worker', async () => {
    const job = await createSyncJob(store.db, { name: `handback-${Date.now()}`, source_connection_id: connections.source, destination_connection_id: connections.destination });
    const queued = await enqueueRun(store.db, { kind: 'sync', trigger: 'manual', syncJobId: job.id });
    const gated = gatedExecutor();
    const worker = new JobWorker({ db: store.db, secrets: testSecrets(), logger: quietLogger(), executors: { sync: gated.executor }, pollIntervalMs: 3_600_000, heartbeatIntervalMs: 100, scheduler: false });
    // A poll is in flight (claiming) when stop() begins: stop must wait for it, and the claim must not start.
    const polling = worker.poll();
    await worker.stop(0);
    await polling;
    expect(gated.started).toEqual([]);
    expect((await getRun(store.db, queued.id)).status).toBe('queued');
    // And another worker can take it.
    const taken = await claimRuns(store.db, 'other-worker', 10);
    expect(taken.map((run) => run.id)).toContain(queued.id);
    gated.open();
  });

  it('hands back a run that outlives the grace: ended once, queued once, run again by another worker, never both at once', async () => {
    const job = await createSyncJob(store.db, { name: `outlive-${Date.now()}`, source_connection_id: connections.source, destination_connection_id: connections.destination, retry_max: 0 });
    // The first executor never ends on its own; it returns "failed" when aborted, as engines do.
    const executions: string[] = [];
    const stubborn: RunExecutor = (run, context) =>
      new Promise((resolve) => {
        executions.push(run.id);
        context.signal.addEventListener('abort', () => {
          resolve({ status: 'failed', tables: [], totalRows: 0, totalBytes: 0, errorCode: 'PGF_RUN_CANCELLED', errorMessage: 'aborted' });
        });
      });
    const leaving = new JobWorker({ db: store.db, secrets: testSecrets(), logger: quietLogger(), executors: { sync: stubborn }, pollIntervalMs: 100, heartbeatIntervalMs: 100, scheduler: false, workerId: 'leaving' });
    const releaseLeaving = trackResource('job worker', () => leaving.stop(0));
    const claimed = leaving.events.next('run:claimed');
    leaving.start();
    const queued = await enqueueRun(store.db, { kind: 'sync', trigger: 'manual', syncJobId: job.id, jobName: job.name });
    expect((await claimed).run.id).toBe(queued.id);
    const handedBack = leaving.events.next('run:handed-back');
    await leaving.stop(200);
    releaseLeaving();
    const { run: ended, next } = await handedBack;
    expect(ended).toMatchObject({ id: queued.id, status: 'failed', error_code: 'PGF_WORKER_SHUTDOWN' });
    expect(next).toMatchObject({ status: 'queued', retry_of: queued.id, attempt: 1, trigger: 'retry' });

    // Another worker takes the hand-back (despite retry_max 0) and finishes it.
    const gated = gatedExecutor();
    const staying = new JobWorker({ db: store.db, secrets: testSecrets(), logger: quietLogger(), executors: { sync: gated.executor }, pollIntervalMs: 100, heartbeatIntervalMs: 100, scheduler: false, workerId: 'staying' });
    const releaseStaying = trackResource('job worker', () => staying.stop(0));
    const finished = staying.events.next('run:finished', ({ run }) => run.id === next?.id);
    staying.start();
    gated.open();
    expect((await finished).run.status).toBe('succeeded');
    await staying.stop(0);
    releaseStaying();
    const runs = await store.db.selectFrom('runs').select(['id', 'status', 'worker_id']).where('sync_job_id', '=', job.id).orderBy('queued_at').execute();
    expect(runs).toEqual([
      { id: queued.id, status: 'failed', worker_id: 'leaving' },
      { id: next?.id, status: 'succeeded', worker_id: 'staying' },
    ]);
    expect(executions).toEqual([queued.id]);
    expect(gated.started).toEqual([next?.id]);
  });
});
