import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { JobWorker } from '../../src/jobs/job-worker.js';
import { isTerminalRunStatus } from '../../src/store/run-statuses.js';
import { type DatabasePair, createDatabasePair, sql, tableFingerprints } from '../engine/sync/sync-test-helpers.js';
import { type Backend, activeBackends, pollUntil, terminateBackends } from '../helpers/backends.js';
import { type HttpAnswer, type HttpClient, listenForHttp } from '../helpers/http-client.js';
import { trackResource } from '../helpers/leak-check.js';
import { type TestApp, createTestApp } from '../helpers/test-app.js';
import { saveConnectionsOverApi, startRealWorker, waitFor } from '../jobs/job-fixtures.js';

// Issue 15, items 5, 9 and 12, through real HTTP against a listening server, with a real
// worker running the jobs on real databases: cancel stops the source's work, a filter cannot
// leave its parentheses, and concurrent creation of a table fails with its own code.
let t: TestApp;
let call: HttpClient;
let dbs: DatabasePair;
let worker: JobWorker;
let release: () => void;
const connections = { source: '', destination: '' };

/** What these tests read from a run's answer. */
interface RunAnswer {
  id: string;
  status: string;
  error_code: string | null;
  error_message: string | null;
}

const runOf = async (runId: string): Promise<RunAnswer> => (await call('GET', `/api/v1/runs/${runId}`)).json as unknown as RunAnswer;

/** Polls the API until the run has ended (a hang guard only: a busy machine is never near it). */
const runEnded = (runId: string): Promise<RunAnswer> =>
  waitFor(async () => {
    const run = await runOf(runId);
    return isTerminalRunStatus(run.status) ? run : undefined;
  }, 120_000, `run ${runId} to end`);

async function createJob(name: string, fields: Record<string, unknown>): Promise<HttpAnswer> {
  return call('POST', '/api/v1/sync-jobs', { name, source_connection_id: connections.source, destination_connection_id: connections.destination, ...fields });
}

/** Run-now over HTTP; returns the queued run's id. */
async function startRun(jobId: unknown): Promise<string> {
  const queued = await call('POST', `/api/v1/sync-jobs/${String(jobId)}/run`, undefined, 'operator');
  expect(queued.status, JSON.stringify(queued.json)).toBe(202);
  return String(queued.json.id);
}

/** A second session on `url` that keeps a transaction open (a lock, an uncommitted table). */
async function openSession(url: string, name: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, application_name: name });
  await client.connect();
  return client;
}

async function closeSession(client: pg.Client): Promise<void> {
  await client.query('ROLLBACK').catch(() => undefined);
  await client.end().catch(() => undefined);
}

const pgferryBackends = (rows: Backend[]) => rows.filter((row) => row.application_name.startsWith('pgferry'));

beforeAll(async () => {
  t = await createTestApp();
  call = await listenForHttp(t);
  dbs = await createDatabasePair();
  await sql(
    dbs.source.url,
    `CREATE SCHEMA app;
     CREATE TABLE app.locked (id int PRIMARY KEY, note text);
     INSERT INTO app.locked SELECT g, 'row ' || g FROM generate_series(1, 100) g;
     CREATE TABLE app.items (id int PRIMARY KEY, name text);
     INSERT INTO app.items SELECT g, 'i' || g FROM generate_series(1, 10) g;
     CREATE TABLE app.created_twice (id int PRIMARY KEY, name text);
     INSERT INTO app.created_twice SELECT g, 'c' || g FROM generate_series(1, 10) g;`,
  );
  await sql(dbs.destination.url, 'CREATE SCHEMA app');
  Object.assign(connections, await saveConnectionsOverApi(call, dbs, 'runs'));
  worker = startRealWorker(t);
  release = trackResource('job worker', () => worker.stop(0));
});

afterAll(async () => {
  release?.();
  await worker?.stop(0);
  // A failed cancel test would leave the slow read running for minutes on a shared machine.
  if (dbs) for (const database of [dbs.source.name, dbs.destination.name]) await terminateBackends(database);
  await t?.close();
});

/**
 * Starts a run of `jobId`, waits until it is running and `busy` finds its work on the source
 * server, cancels it over HTTP and expects it to end `cancelled` with no backend left active
 * on the source (generous polling limit, no timing assertion).
 */
async function expectCancelStopsSourceWork(jobId: unknown, busy: (backends: Backend[]) => Backend[]): Promise<void> {
  const runId = await startRun(jobId);
  const working = await pollUntil(
    async () => ({ run: await runOf(runId), backends: await activeBackends(dbs.source.name) }),
    ({ run, backends }) => isTerminalRunStatus(run.status) || (run.status === 'running' && busy(backends).length > 0),
  );
  expect(working.run.status).toBe('running');
  expect(busy(working.backends)).not.toEqual([]);

  const cancel = await call('POST', `/api/v1/runs/${runId}/cancel`, undefined, 'operator');
  expect(cancel.status, JSON.stringify(cancel.json)).toBe(202);
  const ended = await runEnded(runId);
  expect(ended).toMatchObject({ status: 'cancelled', error_code: 'PGF_RUN_CANCELLED' });
  const left = await pollUntil(
    () => activeBackends(dbs.source.name),
    (rows) => rows.length === 0,
  );
  expect(left).toEqual([]);
}

describe('item 5: cancel over HTTP stops the work on the source server', () => {
  it('a run waiting for a locked source table is cancelled and leaves no backend on the source', async () => {
    const job = await createJob('cancel-locked', { selection: { tables: ['app.locked'] } });
    expect(job.status, JSON.stringify(job.json)).toBe(201);
    // Another session holds the table: the run's reads wait for the lock, sending nothing, so
    // only a cancel on the server (not a closed socket) can stop them.
    const holder = await openSession(dbs.source.url, 'lock holder');
    try {
      await holder.query('BEGIN; LOCK TABLE app.locked IN ACCESS EXCLUSIVE MODE');
      await expectCancelStopsSourceWork(job.json.id, (backends) => pgferryBackends(backends).filter((row) => row.wait_event_type === 'Lock'));
      // Still held: a backend of the run left waiting for it would have stayed active.
      const held = await holder.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_locks WHERE pid = pg_backend_pid() AND mode = 'AccessExclusiveLock' AND granted`);
      expect(held.rows).toEqual([{ n: 1 }]);
    } finally {
      await closeSession(holder);
    }
  });

  it('a run whose filtered read matches no row for minutes is cancelled and leaves no backend on the source', async () => {
    // Each row counts a long series (streamed, no temp files) before being refused: the read
    // sends nothing while it works, so only a cancel on the server can stop it.
    const slowFilter = '(SELECT count(*) FROM (SELECT generate_series(1, 2000000000 + id)) AS s) < 0';
    const job = await createJob('cancel-filtered', { selection: { tables: ['app.items'] }, table_options: { 'app.items': { where: slowFilter } } });
    expect(job.status, JSON.stringify(job.json)).toBe(201);
    await expectCancelStopsSourceWork(job.json.id, (backends) => pgferryBackends(backends).filter((row) => row.query.includes('generate_series(1, 2000000000')));
  });
});

describe('item 9: a WHERE filter cannot leave its parentheses', () => {
  const escapes = ['true) or (true', 'true) OR (true --', "id > 0) OR (name = 'x'"];

  it.each(escapes)('saving a job with the filter %j is refused with 400 naming the field, and nothing is saved', async (where) => {
    for (const key of ['app.items', '*']) {
      const name = `escape-${escapes.indexOf(where)}-${key === '*' ? 'all' : 'one'}`;
      const refused = await createJob(name, { selection: { tables: ['app.items'] }, table_options: { [key]: { where } } });
      expect(refused.status, JSON.stringify(refused.json)).toBe(400);
      expect(refused.json.error?.code).toBe('PGF_VALIDATION_FAILED');
      expect(refused.json.error?.details?.fields).toEqual([expect.objectContaining({ field: `body.table_options.${key}.where`, message: expect.stringMatching(/closes a parenthesis it did not open/) })]);
      const listed = await call('GET', `/api/v1/sync-jobs?q=${name}`);
      expect(listed.json).toMatchObject({ total: 0, items: [] });
    }
  });

  it('a filter with parentheses inside a string is saved; changing it to one that escapes is refused and the stored filter stays', async () => {
    const kept = `name <> ')' AND id > 0`;
    const job = await createJob('filter-kept', { selection: { tables: ['app.items'] }, table_options: { 'app.items': { where: kept } } });
    expect(job.status, JSON.stringify(job.json)).toBe(201);
    const patched = await call('PATCH', `/api/v1/sync-jobs/${String(job.json.id)}`, { table_options: { 'app.items': { where: 'true) or (true' } } });
    expect(patched.status, JSON.stringify(patched.json)).toBe(400);
    expect(patched.json.error?.details?.fields).toEqual([expect.objectContaining({ field: 'body.table_options.app.items.where', message: expect.stringMatching(/closes a parenthesis it did not open/) })]);
    const stored = await call('GET', `/api/v1/sync-jobs/${String(job.json.id)}`);
    expect(stored.json.table_options).toEqual({ 'app.items': { where: kept } });
  });

  it('run-now takes no filter: a run with one is refused and nothing is queued', async () => {
    const job = await createJob('run-now-filter', { selection: { tables: ['app.items'] } });
    expect(job.status).toBe(201);
    const refused = await call('POST', `/api/v1/sync-jobs/${String(job.json.id)}/run`, { params: { where: 'true) or (true' } }, 'operator');
    expect(refused.status).toBe(400);
    expect(refused.json.error?.code).toBe('PGF_VALIDATION_FAILED');
    const runs = await call('GET', `/api/v1/runs?job_id=${String(job.json.id)}`);
    expect(runs.json.items).toEqual([]);
  });

  it('a job stored with an escaping filter (saved before the check) fails its run with PGF_FILTER_INVALID and writes nothing', async () => {
    const job = await createJob('stored-escape', { selection: { tables: ['app.items'] } });
    expect(job.status).toBe(201);
    await t.store.db
      .updateTable('sync_jobs')
      .set({ table_options: JSON.stringify({ 'app.items': { where: 'true) or (true' } }) })
      .where('id', '=', String(job.json.id))
      .execute();
    const before = await tableFingerprints(dbs.destination.url, ['app']);
    const run = await runEnded(await startRun(job.json.id));
    expect(run.status).toBe('failed');
    expect(run.error_code).toBe('PGF_FILTER_INVALID');
    expect(run.error_message).toMatch(/closes a parenthesis it did not open/);
    expect(await tableFingerprints(dbs.destination.url, ['app'])).toEqual(before);
  });
});

describe('item 12: concurrent creation of the same table', () => {
  it('the run that loses fails with PGF_SCHEMA_CREATED_CONCURRENTLY, no raw catalog error is shown, and the next run loads the table', async () => {
    const job = await createJob('same-table', { selection: { tables: ['app.created_twice'] } });
    expect(job.status, JSON.stringify(job.json)).toBe(201);
    // Another session creates app.created_twice and keeps its transaction open: the run plans the
    // table as missing, its CREATE waits on the other's catalog row, then collides with it.
    const other = await openSession(dbs.destination.url, 'other creator');
    let runId: string;
    try {
      await other.query('BEGIN; CREATE TABLE app.created_twice (id int PRIMARY KEY, name text)');
      runId = await startRun(job.json.id);
      const waiting = await pollUntil(
        async () => ({ run: await runOf(runId), backends: await activeBackends(dbs.destination.name) }),
        ({ run, backends }) => isTerminalRunStatus(run.status) || pgferryBackends(backends).some((row) => row.wait_event_type === 'Lock'),
      );
      expect(waiting.run.status).toBe('running');
      expect(pgferryBackends(waiting.backends).filter((row) => row.wait_event_type === 'Lock')).not.toEqual([]);
      await other.query('COMMIT');
    } finally {
      await closeSession(other);
    }

    const run = await runEnded(runId);
    expect(run.status).toBe('failed');
    expect(run.error_code).toBe('PGF_SCHEMA_CREATED_CONCURRENTLY');
    expect(run.error_message).toContain('app.created_twice');
    // Everything a viewer can read about the run: its detail and its log lines.
    const detail = await call('GET', `/api/v1/runs/${runId}`, undefined, 'viewer');
    const logs = await call('GET', `/api/v1/runs/${runId}/logs`, undefined, 'viewer');
    expect([detail.status, logs.status]).toEqual([200, 200]);
    const shown = JSON.stringify([detail.json, logs.json]);
    expect(shown).toContain('PGF_SCHEMA_CREATED_CONCURRENTLY');
    expect(shown).not.toMatch(/duplicate key|pg_type_typname_nsp_index|pg_class_relname_nsp_index/);

    const again = await runEnded(await startRun(job.json.id));
    expect(again.status, again.error_message ?? '').toBe('succeeded');
    expect(await sql(dbs.destination.url, 'SELECT count(*)::int AS n FROM app.created_twice')).toEqual([{ n: 10 }]);
  });
});
