import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';

import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { runJobNow } from '../../src/jobs/run-service.js';
import { createStoreDatabase } from '../../src/store/create-database.js';
import type { RunRow } from '../../src/store/store-types.js';
import { createSyncJob } from '../../src/jobs/sync-job-service.js';
import { trackResource } from '../helpers/leak-check.js';
import { createTestDatabase, serverUrl } from '../helpers/test-database.js';
import { waitFor } from './job-fixtures.js';
import { startPgferryWorker } from './worker-processes.js';

// A rolling restart under load (issue 14): two `pgferry worker` processes run long syncs; one
// gets SIGTERM. Every run executes once, no run is reaped while its worker lives, and the
// destination equals the source. A run that outlives the drain is handed back and run again
// once, by the other worker, after the first attempt ended.
const rowsPerTable = 2500;
const tables = ['t1', 't2', 't3', 't4', 't5', 't6'];
// The shipped Kubernetes worker's shutdown budget.
const shippedShutdownMs = /PGFERRY_SHUTDOWN_TIMEOUT_MS\s*\n\s*value:\s*"(\d+)"/.exec(readFileSync(new URL('../../deploy/k8s/worker-deployment.yaml', import.meta.url), 'utf8'))?.[1];

let storeDb: { name: string; url: string };
let source: { name: string; url: string };
let destination: { name: string; url: string };
let store: ReturnType<typeof createStoreDatabase>;
let release: () => void;
const connection = { source: '', destination: '' };

async function query<T extends pg.QueryResultRow>(url: string, text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text)).rows;
  } finally {
    await client.end();
  }
}

const fingerprint = (url: string, table: string) =>
  query<{ n: number; digest: string }>(url, `SELECT count(*)::int AS n, md5(coalesce(string_agg(id || ':' || payload, ',' ORDER BY id), '')) AS digest FROM public.${table}`);

/** A sync job of one table whose source SELECT sleeps `slowness` seconds a row (3 ms: about 7 s a run). */
async function slowJob(name: string, table: string, slowness = 0.003) {
  return createSyncJob(store.db, {
    name,
    source_connection_id: connection.source,
    destination_connection_id: connection.destination,
    selection: { tables: [`public.${table}`] },
    table_options: { [`public.${table}`]: { columns: { payload: `sql:payload || (pg_sleep(${slowness}))::text` } } },
    retry_max: 0,
  });
}

const ended = (runId: string): Promise<RunRow> =>
  waitFor(async () => {
    const run = await store.db.selectFrom('runs').selectAll().where('id', '=', runId).executeTakeFirstOrThrow();
    return ['succeeded', 'failed', 'cancelled', 'incomplete'].includes(run.status) ? run : undefined;
  }, 600_000, `run ${runId} to end`);

const startedLines = async (runId: string) =>
  (await store.db.selectFrom('run_logs').select('message').where('run_id', '=', runId).where('message', 'like', 'run started%').execute()).length;

beforeAll(async () => {
  storeDb = await createTestDatabase({ prefix: 'pgferry_roll_store' });
  source = await createTestDatabase({ migrated: false, prefix: 'pgferry_roll_src' });
  destination = await createTestDatabase({ migrated: false, prefix: 'pgferry_roll_dst' });
  await query(source.url, tables.map((table) => `CREATE TABLE public.${table} (id integer PRIMARY KEY, payload text NOT NULL);
    INSERT INTO public.${table} SELECT g, md5('${table}' || g) FROM generate_series(1, ${rowsPerTable}) g;`).join('\n'));
  store = createStoreDatabase({ connectionString: storeDb.url, poolMax: 3 });
  release = trackResource('store pool', () => store.close());
  const server = new URL(serverUrl());
  const rows = await store.db
    .insertInto('connections')
    .values([
      { name: 'roll-source', host: server.hostname, port: Number(server.port || 5432), database: source.name, username: decodeURIComponent(server.username) },
      { name: 'roll-destination', host: server.hostname, port: Number(server.port || 5432), database: destination.name, username: decodeURIComponent(server.username) },
    ])
    .returning('id')
    .execute();
  connection.source = rows[0]!.id;
  connection.destination = rows[1]!.id;
});
afterAll(async () => {
  release();
  await store.close();
});

function workerEnv(shutdownMs: string): Record<string, string> {
  return { DATABASE_URL: storeDb.url, PGFERRY_ENCRYPTION_KEY: randomBytes(32).toString('hex'), PGFERRY_HOME: '/tmp/pgferry-roll-test', PGFERRY_SHUTDOWN_TIMEOUT_MS: shutdownMs };
}
// Heartbeats every 500 ms, dead after 5 s (room for a busy machine): a drain of several
// seconds that stopped heartbeating would be reaped.
const flags = ['--concurrency', '2', '--poll-ms', '200', '--heartbeat-ms', '500', '--dead-after-ms', '5000'];

describe('rolling restart of two workers', () => {
  it('SIGTERM with the shipped shutdown timeout: every run executed once, none reaped, destination equal to the source', async () => {
    expect(shippedShutdownMs).toBeDefined();
    // One key for both: they share the store.
    const env = workerEnv(shippedShutdownMs as string);
    const first = startPgferryWorker(flags, env);
    const second = startPgferryWorker(flags, env);
    try {
      await Promise.all([first.ready, second.ready]);
      const firstId = /"workerId":"([^"]+)"/.exec(first.output())?.[1];
      expect(firstId).toBeDefined();
      const runs: RunRow[] = [];
      for (const table of tables) runs.push(await runJobNow(store.db, 'sync', (await slowJob(`roll-${table}`, table)).id, { trigger: 'cli' }));
      // SIGTERM the first worker while it is copying.
      await waitFor(async () => {
        const copying = await store.db
          .selectFrom('runs')
          .innerJoin('run_logs', 'run_logs.run_id', 'runs.id')
          .select('runs.id')
          .where('runs.worker_id', '=', firstId as string)
          .where('runs.status', '=', 'running')
          .where('run_logs.message', 'like', 'copying %')
          .executeTakeFirst();
        return copying !== undefined;
      }, 600_000, 'the first worker to copy');
      expect(await first.stop('SIGTERM')).toBe(0);

      const done = await Promise.all(runs.map((run) => ended(run.id)));
      expect(done.map((run) => `${run.job_name}: ${run.status} ${run.error_code ?? ''}`)).toEqual(tables.map((table) => `roll-${table}: succeeded `));
      expect(done.filter((run) => run.worker_id === firstId).length).toBeGreaterThan(0);
      for (const run of done) expect(await startedLines(run.id)).toBe(1);
      const extra = await store.db.selectFrom('runs').select(['id', 'error_code']).where('retry_of', 'is not', null).execute();
      expect(extra).toEqual([]);
      for (const table of tables) expect(await fingerprint(destination.url, table)).toEqual(await fingerprint(source.url, table));
      expect(first.output()).not.toContain('stopped heartbeating');
      expect(second.output()).not.toContain('stopped heartbeating');
    } finally {
      await first.stop();
      await second.stop();
    }
  });

  it('a run that outlives the drain is handed back: ended, then run again once by the other worker, destination equal', async () => {
    await query(destination.url, 'DROP TABLE IF EXISTS public.t1');
    // About 15 s of copying, against a drain of 1 s (shutdown timeout 6 s minus the 5 s reserve).
    const job = await slowJob('roll-long', 't1', 0.006);
    const env = workerEnv('6000');
    const leaving = startPgferryWorker(flags, env);
    let staying: ReturnType<typeof startPgferryWorker> | undefined;
    try {
      await leaving.ready;
      const run = await runJobNow(store.db, 'sync', job.id, { trigger: 'cli' });
      await waitFor(() => store.db.selectFrom('run_logs').select('id').where('run_id', '=', run.id).where('message', 'like', 'copying %').executeTakeFirst(), 600_000, 'the copy to start');
      staying = startPgferryWorker(flags, env);
      await staying.ready;
      expect(await leaving.stop('SIGTERM')).toBe(0);
      const first = await ended(run.id);
      expect(first).toMatchObject({ status: 'failed', error_code: 'PGF_WORKER_SHUTDOWN' });
      const next = await waitFor(() => store.db.selectFrom('runs').selectAll().where('retry_of', '=', run.id).executeTakeFirst(), 600_000, 'the hand-back');
      const second = await ended(next.id);
      expect(second.status, second.error_message ?? '').toBe('succeeded');
      expect(second.worker_id).not.toBe(first.worker_id);
      // Never side by side: the second attempt started after the first one's end was stored.
      expect(second.started_at!.getTime()).toBeGreaterThanOrEqual(first.finished_at!.getTime());
      const all = await store.db.selectFrom('runs').select('id').where('sync_job_id', '=', job.id).execute();
      expect(all).toHaveLength(2);
      expect(await fingerprint(destination.url, 't1')).toEqual(await fingerprint(source.url, 't1'));
    } finally {
      await leaving.stop();
      await staying?.stop();
    }
  });
});
