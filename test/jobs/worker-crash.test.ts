import { randomBytes } from 'node:crypto';

import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { defaultExecutors } from '../../src/jobs/executors/default-executors.js';
import { JobWorker } from '../../src/jobs/job-worker.js';
import { runJobNow } from '../../src/jobs/run-service.js';
import { requestCancel } from '../../src/store/run-repository.js';
import { createStoreDatabase } from '../../src/store/create-database.js';
import { getRun } from '../../src/store/run-repository.js';
import { createSyncJob } from '../../src/jobs/sync-job-service.js';
import { trackResource } from '../helpers/leak-check.js';
import { createTestDatabase, serverUrl } from '../helpers/test-database.js';
import { quietLogger, testSecrets, waitFor } from './job-fixtures.js';
import { startPgferryWorker } from './worker-processes.js';

const rows = 8000;
let storeDb: { name: string; url: string };
let source: { name: string; url: string };
let destination: { name: string; url: string };
let store: ReturnType<typeof createStoreDatabase>;
let release: () => void;

async function query(url: string, text: string): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(text);
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  storeDb = await createTestDatabase({ prefix: 'pgferry_crash_store' });
  source = await createTestDatabase({ migrated: false, prefix: 'pgferry_crash_src' });
  destination = await createTestDatabase({ migrated: false, prefix: 'pgferry_crash_dst' });
  await query(source.url, `CREATE TABLE public.items (id integer PRIMARY KEY, payload text NOT NULL);
    INSERT INTO public.items SELECT g, md5(g::text) FROM generate_series(1, ${rows}) g;`);
  await query(destination.url, `CREATE TABLE public.items (id integer PRIMARY KEY, payload text NOT NULL);
    INSERT INTO public.items SELECT g, 'old' FROM generate_series(1, 10) g;`);
  store = createStoreDatabase({ connectionString: storeDb.url, poolMax: 3 });
  release = trackResource('store pool', () => store.close());
});
afterAll(async () => {
  release();
  await store.close();
});

describe('a worker killed mid-sync', () => {
  it('is detected by its lapsed heartbeat; the run fails, its retry succeeds, and the destination never shows a half-copied table', async () => {
    const server = new URL(serverUrl());
    const [src, dst] = await store.db
      .insertInto('connections')
      .values([
        { name: 'crash-source', host: server.hostname, port: Number(server.port || 5432), database: source.name, username: decodeURIComponent(server.username) },
        { name: 'crash-destination', host: server.hostname, port: Number(server.port || 5432), database: destination.name, username: decodeURIComponent(server.username) },
      ])
      .returning('id')
      .execute();
    const job = await createSyncJob(store.db, {
      name: 'crash-test',
      source_connection_id: src!.id,
      destination_connection_id: dst!.id,
      selection: { tables: ['public.items'] },
      // Slows the copy (about 0.5 ms a row, in the source SELECT) so the kill lands mid-copy.
      table_options: { 'public.items': { columns: { payload: 'sql:payload || (pg_sleep(0.0005))::text' } } },
      retry_max: 1,
      retry_backoff_s: 1,
    });
    const env = { DATABASE_URL: storeDb.url, PGFERRY_ENCRYPTION_KEY: randomBytes(32).toString('hex'), PGFERRY_HOME: '/tmp/pgferry-crash-test' };
    const flags = ['--poll-ms', '200', '--heartbeat-ms', '500', '--dead-after-ms', '3000'];
    const run = await runJobNow(store.db, 'sync', job.id, { trigger: 'cli' });

    const doomed = startPgferryWorker(flags, env);
    await doomed.ready;
    await waitFor(async () => {
      const copying = await store.db.selectFrom('run_logs').select('id').where('run_id', '=', run.id).where('message', 'like', 'copying public.items%').executeTakeFirst();
      return copying !== undefined;
    }, 600_000, 'the copy to start');
    expect((await getRun(store.db, run.id)).status).toBe('running');
    await doomed.stop('SIGKILL');

    // The server rolled the killed copy back: the old rows, all of them, and nothing else.
    const during = await query(destination.url, `SELECT count(*)::int AS n, count(*) FILTER (WHERE payload = 'old')::int AS old FROM public.items`);
    expect(during.rows[0]).toEqual({ n: 10, old: 10 });

    const survivor = startPgferryWorker(flags, env);
    try {
      await survivor.ready;
      const failed = await waitFor(async () => {
        const current = await getRun(store.db, run.id);
        return current.status === 'failed' ? current : undefined;
      }, 600_000, 'the dead run to be failed');
      expect(failed.error_code).toBe('PGF_WORKER_LOST');
      expect(failed.finished_at).not.toBeNull();
      const retry = await waitFor(() => store.db.selectFrom('runs').selectAll().where('retry_of', '=', run.id).executeTakeFirst(), 600_000, 'the retry');
      expect(retry).toMatchObject({ trigger: 'retry', attempt: 2 });
      const done = await waitFor(async () => {
        const current = await getRun(store.db, retry.id);
        return ['succeeded', 'failed', 'cancelled'].includes(current.status) ? current : undefined;
      }, 600_000, 'the retry to finish');
      expect(done.status, `${done.error_message ?? ''}\n${survivor.output().slice(-2000)}`).toBe('succeeded');
      expect(done.worker_id).not.toBe(failed.worker_id);
      expect(Number(done.total_rows)).toBe(rows);
    } finally {
      await survivor.stop();
    }
    const after = await query(destination.url, `SELECT count(*)::int AS n, md5(string_agg(id || ':' || payload, ',' ORDER BY id)) AS digest FROM public.items`);
    const expected = await query(source.url, `SELECT count(*)::int AS n, md5(string_agg(id || ':' || payload, ',' ORDER BY id)) AS digest FROM public.items`);
    expect(after.rows[0]).toEqual(expected.rows[0]);
    const logs = await sql<{ message: string }>`SELECT message FROM run_logs WHERE run_id = ${run.id} ORDER BY id`.execute(store.db);
    expect(logs.rows.map((line) => line.message).join('\n')).toContain('stopped heartbeating');
  });

  it('cancels a real sync mid-copy: the engine stops, the source query is cancelled, the destination keeps its rows', async () => {
    const job = await store.db.selectFrom('sync_jobs').select('id').where('name', '=', 'crash-test').executeTakeFirstOrThrow();
    const worker = new JobWorker({ db: store.db, secrets: testSecrets(), logger: quietLogger(), executors: defaultExecutors, pollIntervalMs: 100, heartbeatIntervalMs: 200 });
    const releaseWorker = trackResource('job worker', () => worker.stop(0));
    worker.start();
    try {
      const run = await runJobNow(store.db, 'sync', job.id, { trigger: 'manual' });
      await waitFor(() => store.db.selectFrom('run_logs').select('id').where('run_id', '=', run.id).where('message', 'like', 'copying public.items%').executeTakeFirst(), 600_000, 'the copy to start');
      await requestCancel(store.db, run.id);
      const done = await waitFor(async () => {
        const current = await getRun(store.db, run.id);
        return current.status !== 'running' ? current : undefined;
      }, 600_000, 'the run to stop');
      expect(done).toMatchObject({ status: 'cancelled', error_code: 'PGF_RUN_CANCELLED' });
      // The source's COPY is cancelled server-side, not left to run to its end (about 4 s here).
      const cancelledAt = Date.now();
      await waitFor(async () => {
        const busy = await query(source.url, `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND state <> 'idle' AND query LIKE '%pg_sleep%' AND pid <> pg_backend_pid()`);
        return busy.rows.length === 0;
      }, 600_000, 'the source query to stop');
      console.log(`source COPY gone ${Date.now() - cancelledAt} ms after the run ended`);
      const after = await query(destination.url, 'SELECT count(*)::int AS n FROM public.items');
      expect(after.rows[0].n).toBe(rows);
    } finally {
      releaseWorker();
      await worker.stop(0);
    }
  });
});
