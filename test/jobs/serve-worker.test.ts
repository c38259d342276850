import { randomBytes } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { enqueueRun, getRun } from '../../src/store/run-repository.js';
import { createTestStore } from '../helpers/test-database.js';
import { waitFor } from './job-fixtures.js';
import { startPgferryServe } from './worker-processes.js';

let store: Awaited<ReturnType<typeof createTestStore>>;
let env: Record<string, string>;

beforeAll(async () => {
  store = await createTestStore();
  env = { DATABASE_URL: store.url, PGFERRY_ENCRYPTION_KEY: randomBytes(32).toString('hex'), PGFERRY_HOME: '/tmp/pgferry-serve-worker-test' };
});
afterAll(async () => {
  await store.close();
});

describe('pgferry serve', () => {
  it('runs queued runs in-process, and leaves them to other workers with --no-worker', async () => {
    // A kind with no executor: whoever claims it records PGF_NO_EXECUTOR, which proves a worker ran it.
    const run = await enqueueRun(store.db, { kind: 'verify', trigger: 'api' });
    const apiOnly = startPgferryServe(['--no-worker'], env);
    try {
      await apiOnly.ready;
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect((await getRun(store.db, run.id)).status).toBe('queued');
    } finally {
      await apiOnly.stop();
    }
    const withWorker = startPgferryServe([], env);
    try {
      await withWorker.ready;
      const done = await waitFor(async () => {
        const current = await getRun(store.db, run.id);
        return current.status === 'failed' ? current : undefined;
      }, 600_000, 'the in-process worker to take the run');
      expect(done.error_code).toBe('PGF_NO_EXECUTOR');
      expect(done.worker_id).toContain(':');
    } finally {
      await withWorker.stop();
    }
  });
});
