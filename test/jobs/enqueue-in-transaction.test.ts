import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { enqueueRun } from '../../src/store/run-repository.js';
import { createSyncJob } from '../../src/jobs/sync-job-service.js';
import { createTestStore } from '../helpers/test-database.js';
import { insertConnections } from './job-fixtures.js';

// Issue 14, item 13: a retry is queued in the transaction that ends its run. When the job
// already has an active run, the conflict is reported and the transaction goes on (before,
// the unique violation aborted it and the conflict lookup failed inside it).
let store: Awaited<ReturnType<typeof createTestStore>>;
let connections: { source: string; destination: string };

beforeAll(async () => {
  store = await createTestStore();
  connections = await insertConnections(store.db, 'txq');
});
afterAll(async () => {
  await store.close();
});

describe('enqueueRun inside a transaction', () => {
  it('reports an active-run conflict and leaves the transaction usable', async () => {
    const job = await createSyncJob(store.db, { name: `txq-${Date.now()}`, source_connection_id: connections.source, destination_connection_id: connections.destination });
    const first = await store.db.transaction().execute(async (tx) => {
      const queued = await enqueueRun(tx, { kind: 'sync', trigger: 'manual', syncJobId: job.id, jobName: job.name });
      await expect(enqueueRun(tx, { kind: 'sync', trigger: 'retry', syncJobId: job.id, jobName: job.name })).rejects.toMatchObject({ code: 'PGF_JOB_ALREADY_RUNNING' });
      // Still usable: this statement would fail in an aborted transaction.
      await tx.insertInto('run_logs').values({ run_id: queued.id, level: 'info', message: 'after the conflict' }).execute();
      return queued;
    });
    const logs = await store.db.selectFrom('run_logs').select('message').where('run_id', '=', first.id).execute();
    expect(logs.map((l) => l.message)).toContain('after the conflict');
  });
});
