import { spawnSync } from 'node:child_process';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { allowAnyOutbound } from '../../src/net/outbound-guard.js';
import { syncExecutor } from '../../src/jobs/executors/sync-executor.js';
import type { JobWorker } from '../../src/jobs/job-worker.js';
import { runJobNow } from '../../src/jobs/run-service.js';
import type { RunTableResult } from '../../src/jobs/run-executor.js';
import { listRunLogs } from '../../src/store/run-log-repository.js';
import { getRun } from '../../src/store/run-repository.js';
import type { RunRow } from '../../src/store/store-types.js';
import { type DatabasePair, createDatabasePair, sql } from '../engine/sync/sync-test-helpers.js';
import { trackResource } from '../helpers/leak-check.js';
import { type TestApp, createTestApp } from '../helpers/test-app.js';
import { quietLogger, saveConnectionsOverApi, startRealWorker, waitFor } from './job-fixtures.js';

// Every field of a saved sync job changes what its run does (issue 14, items 1-4 and 7), through
// a listening server, a real worker and real databases.
let t: TestApp;
let base: string;
let admin: string;
let dbs: DatabasePair;
let worker: JobWorker;
let release: () => void;
const connections: { source: string; destination: string } = { source: '', destination: '' };

/** The fields these tests read from API answers (a job or run, or an error). */
interface Answer {
  id: string;
  error: { message: string; details: { fields: Array<{ field: string; table?: string }> } };
}

const call = async (method: string, url: string, body?: unknown): Promise<{ status: number; json: Answer }> => {
  const response = await fetch(`${base}${url}`, {
    method,
    headers: { authorization: `Bearer ${admin}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, json: (text ? JSON.parse(text) : null) as Answer };
};

const ended = (runId: string): Promise<RunRow> =>
  waitFor(async () => {
    const run = await getRun(t.store.db, runId);
    return ['succeeded', 'failed', 'cancelled', 'incomplete'].includes(run.status) ? run : undefined;
  }, 300_000, `run ${runId}`);

let jobCount = 0;
async function createJob(fields: Record<string, unknown>): Promise<{ status: number; json: Answer }> {
  jobCount += 1;
  return call('POST', '/api/v1/sync-jobs', { name: `fields-${jobCount}`, source_connection_id: connections.source, destination_connection_id: connections.destination, ...fields });
}

async function runJob(jobId: string, params?: Record<string, unknown>): Promise<RunRow> {
  const queued = await call('POST', `/api/v1/sync-jobs/${jobId}/run`, params ? { params } : undefined);
  expect(queued.status, JSON.stringify(queued.json)).toBe(202);
  return ended(queued.json.id);
}

beforeAll(async () => {
  t = await createTestApp();
  base = await t.app.listen({ port: 0, host: '127.0.0.1' });
  admin = (await t.credentialsFor('admin')).token;
  dbs = await createDatabasePair();
  await sql(
    dbs.source.url,
    `CREATE TABLE public.people (id integer PRIMARY KEY, email text NOT NULL UNIQUE, name text);
     INSERT INTO public.people SELECT g, 'p' || g || '@example.com', 'person ' || g FROM generate_series(1, 50) g;
     CREATE TABLE public.notes (id integer PRIMARY KEY, person_id integer REFERENCES public.people, body text);
     INSERT INTO public.notes SELECT g, 1 + g % 50, 'note ' || g FROM generate_series(1, 80) g;
     CREATE TABLE public.loose (v text);
     INSERT INTO public.loose VALUES ('x');`,
  );
  Object.assign(connections, await saveConnectionsOverApi(call, dbs, 'fields'));
  worker = startWorker();
  release = trackResource('job worker', () => worker.stop(0));
});

const startWorker = () => startRealWorker(t);

afterAll(async () => {
  release?.();
  await worker?.stop(0);
  await t?.close();
});

describe('saved sync job fields reach the engine', () => {
  it('verify: the switch adds a checksum step whose difference fails the run; run-now can ask for it once', async () => {
    // Upsert keeps a destination row the source lacks: only a verify step can notice.
    await sql(dbs.destination.url, `DROP TABLE IF EXISTS public.notes, public.people, public.loose`);
    const plain = await createJob({ selection: { tables: ['public.people'] }, default_mode: 'upsert' });
    expect(plain.status, JSON.stringify(plain.json)).toBe(201);
    expect((await runJob(plain.json.id)).status).toBe('succeeded');
    await sql(dbs.destination.url, `INSERT INTO public.people VALUES (999, 'extra@example.com', 'only here')`);

    const unverified = await runJob(plain.json.id);
    expect(unverified.status).toBe('succeeded');
    expect((await listRunLogs(t.store.db, unverified.id, { limit: 500 })).some((line) => line.message.startsWith('verify'))).toBe(false);

    const once = await runJob(plain.json.id, { verify: true });
    expect(once.status).toBe('failed');
    expect(once.error_code).toBe('PGF_VERIFY_MISMATCH');
    expect(once.error_message).toContain('public.people');

    const verifying = await call('PATCH', `/api/v1/sync-jobs/${plain.json.id}`, { verify: true });
    expect(verifying.status).toBe(200);
    const run = await runJob(plain.json.id);
    expect(run.status).toBe('failed');
    expect(run.error_code).toBe('PGF_VERIFY_MISMATCH');
    expect((run.tables as RunTableResult[]).find((table) => table.table === 'public.people')?.verify).toBe('mismatch');

    await sql(dbs.destination.url, `DELETE FROM public.people WHERE id = 999`);
    const clean = await runJob(plain.json.id);
    expect(clean.status, clean.error_message ?? '').toBe('succeeded');
    expect((clean.tables as RunTableResult[]).find((table) => table.table === 'public.people')?.verify).toBe('verified');
    expect((await listRunLogs(t.store.db, clean.id, { limit: 500 })).map((line) => line.message)).toContain('verify: 1 of 1 table(s) equal');
  });

  it('key: upsert matches rows on the chosen unique key instead of the primary key', async () => {
    await sql(dbs.destination.url, `DROP TABLE IF EXISTS public.notes, public.people, public.loose;
      CREATE TABLE public.people (id integer PRIMARY KEY, email text NOT NULL UNIQUE, name text);
      INSERT INTO public.people VALUES (1001, 'p1@example.com', 'stale')`);
    // By primary key, source row 1 is new and its email collides with row 1001: the table fails.
    const byId = await createJob({ selection: { tables: ['public.people'] }, default_mode: 'upsert' });
    const failed = await runJob(byId.json.id);
    expect(failed.status).toBe('failed');
    expect((await sql(dbs.destination.url, `SELECT name FROM public.people WHERE email = 'p1@example.com'`))[0]?.name).toBe('stale');

    const byEmail = await createJob({ selection: { tables: ['public.people'] }, default_mode: 'upsert', table_options: { 'public.people': { key: ['email'] } } });
    expect(byEmail.status, JSON.stringify(byEmail.json)).toBe(201);
    const run = await runJob(byEmail.json.id);
    expect(run.status, run.error_message ?? '').toBe('succeeded');
    const rows = await sql<{ id: number; name: string }>(dbs.destination.url, `SELECT id, name FROM public.people WHERE email = 'p1@example.com'`);
    expect(rows).toEqual([{ id: 1, name: 'person 1' }]);
    expect(Number((await sql(dbs.destination.url, 'SELECT count(*) AS n FROM public.people'))[0]?.n)).toBe(50);
  });

  it('params: run-now resumes a failed run of the job, and refuses unknown or foreign parameters', async () => {
    await sql(dbs.destination.url, `DROP TABLE IF EXISTS public.notes, public.people, public.loose`);
    const job = await createJob({ selection: { tables: ['public.people', 'public.notes'] } });
    expect(job.status, JSON.stringify(job.json)).toBe(201);
    // A failure after people committed: notes cannot load while the destination refuses its rows.
    await sql(dbs.destination.url, `CREATE TABLE public.notes (id integer PRIMARY KEY, person_id integer, body text CHECK (body <> 'note 7'))`);
    const first = await runJob(job.json.id);
    expect(first.status).toBe('failed');
    await sql(dbs.destination.url, `ALTER TABLE public.notes DROP CONSTRAINT notes_body_check`);

    expect((await call('POST', `/api/v1/sync-jobs/${job.json.id}/run`, { params: { resume: first.id, bogus: 1 } })).status).toBe(400);
    const other = await createJob({ selection: { tables: ['public.people'] } });
    const foreign = await call('POST', `/api/v1/sync-jobs/${other.json.id}/run`, { params: { resume: first.id } });
    expect(foreign.status).toBe(400);
    expect(foreign.json.error.message).toContain('not a run of this job');

    const resumed = await runJob(job.json.id, { resume: first.id });
    expect(resumed.status, resumed.error_message ?? '').toBe('succeeded');
    expect(resumed.resume_of).toBe(first.id);
    const messages = (await listRunLogs(t.store.db, resumed.id, { limit: 500 })).map((line) => line.message);
    // In order, each once: the worker's first line, one plan, the commit after its copy.
    expect(messages[0]).toMatch(/^run started/);
    expect(messages.filter((message) => /table\(s\) planned/.test(message))).toHaveLength(1);
    expect(messages.indexOf('committed public.notes')).toBeGreaterThan(messages.findIndex((message) => message.startsWith('copying public.notes')));
    expect(new Set(messages).size).toBe(messages.length);
    expect(messages.some((message) => message.startsWith('copying public.people'))).toBe(false);
    expect(messages.some((message) => message.startsWith('copying public.notes'))).toBe(true);
  });

  it('per-table options run in one snapshot: a source change between two tables is seen by neither', async () => {
    await sql(dbs.destination.url, `DROP TABLE IF EXISTS public.notes, public.people, public.loose`);
    // notes references people, so people loads first; notes has its own mode and filter.
    const job = await createJob({
      selection: { tables: ['public.people', 'public.notes'] },
      default_mode: 'full',
      parallelism: 1,
      table_options: { 'public.notes': { mode: 'upsert', where: 'id > 0' } },
    });
    expect(job.status, JSON.stringify(job.json)).toBe(201);
    // The background worker would claim the queued run too; this test runs it itself.
    await worker.stop(0);
    const queued = await runJobNow(t.store.db, 'sync', job.json.id, { trigger: 'manual' });
    // Run in this process so the change can be made, synchronously, the moment people is done.
    let changed = false;
    const result = await syncExecutor(queued, {
      signal: new AbortController().signal,
      progress: () => undefined,
      db: t.store.db,
      secrets: t.secrets,
      outbound: allowAnyOutbound,
      logger: quietLogger(),
      workerId: 'test',
      checkpoint: async () => undefined,
      log: (_level, message) => {
        if (!changed && message.startsWith('public.people succeeded')) {
          changed = true;
          const script = `import pg from 'pg'; const c = new pg.Client(${JSON.stringify(dbs.source.url)}); await c.connect(); await c.query("INSERT INTO public.notes VALUES (1000, 1, 'late')"); await c.end();`;
          const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: process.cwd(), encoding: 'utf8' });
          if (child.status !== 0) throw new Error(`the source change failed: ${child.stderr}`);
        }
      },
    });
    expect(changed).toBe(true);
    expect(result.status, result.errorMessage ?? '').toBe('succeeded');
    expect(Number((await sql(dbs.source.url, 'SELECT count(*) AS n FROM public.notes'))[0]?.n)).toBe(81);
    expect(Number((await sql(dbs.destination.url, 'SELECT count(*) AS n FROM public.notes'))[0]?.n)).toBe(80);
    await sql(dbs.source.url, 'DELETE FROM public.notes WHERE id = 1000');
    worker = startWorker();
  });

  it('refuses at save time what cannot work: a bad filter, a keyed mode without a key, a key that is not unique', async () => {
    const badFilter = await createJob({ selection: { tables: ['public.people'] }, table_options: { 'public.people': { where: 'id >>> 3' } } });
    expect(badFilter.status).toBe(400);
    expect(badFilter.json.error.details.fields[0]?.field).toBe('body.table_options.public.people.where');
    expect(badFilter.json.error.message).toContain('public.people');

    const unknownColumn = await createJob({ table_options: { '*': { where: 'no_such_column = 1' } }, selection: { tables: ['public.people'] } });
    expect(unknownColumn.status).toBe(400);
    expect(unknownColumn.json.error.details.fields[0]?.field).toBe('body.table_options.*.where');

    const noKey = await createJob({ selection: { tables: ['public.loose'] }, default_mode: 'upsert' });
    expect(noKey.status).toBe(400);
    expect(noKey.json.error.details.fields[0]).toMatchObject({ field: 'body.default_mode', table: 'public.loose' });
    expect(noKey.json.error.message).toContain('has no primary key or unique index');

    const notUnique = await createJob({ selection: { tables: ['public.people'] }, default_mode: 'upsert', table_options: { 'public.people': { key: ['name'] } } });
    expect(notUnique.status).toBe(400);
    expect(notUnique.json.error.details.fields[0]?.field).toBe('body.table_options.public.people.key');

    const escaping = await createJob({ selection: { tables: ['public.people'] }, table_options: { 'public.people': { where: 'true) OR (true' } } });
    expect(escaping.status).toBe(400);
    expect(escaping.json.error.details.fields[0]?.field).toBe('body.table_options.public.people.where');

    const good = await createJob({ selection: { tables: ['public.people'] }, default_mode: 'upsert', table_options: { 'public.people': { where: "email LIKE 'p%' AND id > 0" } } });
    expect(good.status, JSON.stringify(good.json)).toBe(201);
    const edited = await call('PATCH', `/api/v1/sync-jobs/${good.json.id}`, { table_options: { 'public.people': { where: 'id >' } } });
    expect(edited.status).toBe(400);
  });
});
