import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { defaultExecutors } from '../../src/jobs/executors/default-executors.js';
import { JobWorker } from '../../src/jobs/job-worker.js';
import { runJobNow } from '../../src/jobs/run-service.js';
import { createBackupJob } from '../../src/jobs/backup-job-service.js';
import { getRun } from '../../src/store/run-repository.js';
import { trackResource } from '../helpers/leak-check.js';
import { createTestDatabase, createTestStore, serverUrl } from '../helpers/test-database.js';
import { quietLogger, testSecrets, waitFor } from './job-fixtures.js';

let store: Awaited<ReturnType<typeof createTestStore>>;
let source: { name: string; url: string };
let directory: string;

beforeAll(async () => {
  store = await createTestStore();
  source = await createTestDatabase({ migrated: false, prefix: 'pgferry_bkjob_src' });
  const client = new pg.Client({ connectionString: source.url });
  await client.connect();
  await client.query(`CREATE TABLE public.orders (id integer PRIMARY KEY, note text); INSERT INTO public.orders SELECT g, 'n' || g FROM generate_series(1, 500) g;`);
  await client.end();
  directory = await mkdtemp(path.join(os.tmpdir(), 'pgferry-backup-job-'));
});
afterAll(async () => {
  await store.close();
  await rm(directory, { recursive: true, force: true });
});

describe('a saved backup job run by a worker', () => {
  it('backs up to its storage, records the archive on the run, and applies retention after each success', async () => {
    const server = new URL(serverUrl());
    const connection = await store.db
      .insertInto('connections')
      .values({ name: 'bk-source', host: server.hostname, port: Number(server.port || 5432), database: source.name, username: decodeURIComponent(server.username) })
      .returning('id')
      .executeTakeFirstOrThrow();
    const storage = await store.db.insertInto('storages').values({ name: 'bk-local', kind: 'local', config: JSON.stringify({ path: directory }) }).returning('id').executeTakeFirstOrThrow();
    const job = await createBackupJob(store.db, { name: 'orders backup', connection_id: connection.id, storage_ids: [storage.id], retention: { keep_last: 1 } });
    const worker = new JobWorker({ db: store.db, secrets: testSecrets(), logger: quietLogger(), executors: defaultExecutors, pollIntervalMs: 100, heartbeatIntervalMs: 500 });
    const release = trackResource('job worker', () => worker.stop(0));
    worker.start();
    try {
      const runs = [];
      for (let index = 0; index < 2; index += 1) {
        const run = await runJobNow(store.db, 'backup', job.id, { trigger: 'manual' });
        runs.push(
          await waitFor(async () => {
            const current = await getRun(store.db, run.id);
            return ['succeeded', 'failed', 'cancelled'].includes(current.status) ? current : undefined;
          }, 600_000, 'the backup run'),
        );
      }
      for (const run of runs) expect(run.status, run.error_message ?? '').toBe('succeeded');
      expect(runs[0]!.tables).toEqual(expect.arrayContaining([expect.objectContaining({ table: expect.stringContaining('orders'), rows: 500, status: 'succeeded' })]));
      const backups = await store.db.selectFrom('backups').selectAll().where('backup_job_id', '=', job.id).orderBy('created_at').execute();
      expect(backups.map((backup) => backup.run_id)).toEqual(runs.map((run) => run.id));
      // keep_last 1: the first archive expired and left the storage after the second run.
      expect(backups.map((backup) => backup.state)).toEqual(['expired', 'complete']);
      expect(await readdir(path.join(directory, 'orders-backup'))).toHaveLength(1);
    } finally {
      release();
      await worker.stop(0);
    }
  });
});
