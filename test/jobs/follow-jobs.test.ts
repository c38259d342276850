import { randomBytes } from 'node:crypto';

import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { keyFromBytes } from '../../src/secrets/encryption-key.js';
import { SecretBox } from '../../src/secrets/secret-box.js';
import { type HttpClient, listenForHttp } from '../helpers/http-client.js';
import { trackResource } from '../helpers/leak-check.js';
import { type TestCluster, startCluster } from '../helpers/pg-cluster.js';
import { cliJson, runCli } from '../helpers/run-cli.js';
import { type TestApp, createTestApp } from '../helpers/test-app.js';
import { createTestDatabase } from '../helpers/test-database.js';
import { waitFor } from './job-fixtures.js';
import { type WorkerProcess, startPgferryWorker } from './worker-processes.js';

// A saved continuous-sync job end to end: created over HTTP, followed by real `pgferry worker`
// processes (exactly one at a time; another takes over after kill -9 of the holder), paused
// and resumed from the CLI, its lag in /metrics, a threshold notification queued, dropped
// with its slot and publication. The source is a cluster with wal_level=logical.

async function query<T extends pg.QueryResultRow = Record<string, unknown>>(url: string, text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  const release = trackResource(`client on ${url}`, () => client.end());
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    release();
    await client.end();
  }
}

interface JobAnswer {
  id: string;
  last_cutover?: unknown;
  name: string;
  state: string;
  worker_id: string | null;
  progress: { phase: string; lag_bytes: number | null; retained_bytes: number | null; slot_name: string | null; publication_name: string | null } | null;
  last_error: { code: string; message: string | null } | null;
}

let cluster: TestCluster;
let sourceUrl: string;
let destinationUrl: string;
let t: TestApp;
let http: HttpClient;
let env: Record<string, string>;
let jobId: string;
const workers: WorkerProcess[] = [];
const workerFlags = ['--poll-ms', '200', '--heartbeat-ms', '500', '--dead-after-ms', '4000'];

const getJob = async (): Promise<JobAnswer> => {
  const answer = await http('GET', `/api/v1/follow-jobs/${jobId}`);
  expect(answer.status).toBe(200);
  return answer.json as unknown as JobAnswer;
};
const destinationCount = async () => Number((await query<{ n: number }>(destinationUrl, 'SELECT count(*)::int AS n FROM public.items'))[0]?.n);
const sourceCount = async () => Number((await query<{ n: number }>(sourceUrl, 'SELECT count(*)::int AS n FROM public.items'))[0]?.n);
const caughtUp = async () => {
  const expected = await sourceCount();
  return waitFor(async () => {
    const got = await destinationCount().catch(() => -1);
    return got === expected ? got : undefined;
  }, 600_000, `the destination to hold the source's ${expected} rows`);
};

beforeAll(async () => {
  cluster = await startCluster({ major: 17, settings: { wal_level: 'logical' } });
  sourceUrl = await cluster.createDatabase('follow_src');
  await query(sourceUrl, `CREATE SEQUENCE public.items_seq; CREATE TABLE public.items (id int PRIMARY KEY DEFAULT nextval('public.items_seq'), payload text NOT NULL); INSERT INTO public.items SELECT g, 'row ' || g FROM generate_series(1, 200) g`);
  const destination = await createTestDatabase({ migrated: false, prefix: 'pgferry_follow_dst' });
  destinationUrl = destination.url;
  const keyHex = randomBytes(32).toString('hex');
  t = await createTestApp({}, { secrets: new SecretBox(keyFromBytes(Buffer.from(keyHex, 'hex'))) });
  http = await listenForHttp(t);
  env = { DATABASE_URL: t.store.url, PGFERRY_ENCRYPTION_KEY: keyHex, PGFERRY_HOME: '/tmp/pgferry-follow-jobs-test' };
  const source = await http('POST', '/api/v1/connections', { name: 'follow-source', host: '127.0.0.1', port: cluster.port, database: 'follow_src', user: 'postgres', password: cluster.password });
  expect(source.status, JSON.stringify(source.json)).toBe(201);
  const dst = new URL(destinationUrl);
  const target = await http('POST', '/api/v1/connections', { name: 'follow-destination', host: dst.hostname, port: Number(dst.port || 5432), database: destination.name, user: decodeURIComponent(dst.username) });
  expect(target.status, JSON.stringify(target.json)).toBe(201);
  const channel = await http('POST', '/api/v1/notification-channels', { name: 'follow-alerts', kind: 'webhook', config: { url: 'http://127.0.0.1:9/hook' }, events: ['replication_retained'] });
  expect(channel.status, JSON.stringify(channel.json)).toBe(201);
  const created = await http('POST', '/api/v1/follow-jobs', {
    name: 'orders-follow',
    source_connection_id: source.json.id,
    destination_connection_id: target.json.id,
    selection: { tables: ['public.items'] },
    channel_ids: [channel.json.id],
  });
  expect(created.status, JSON.stringify(created.json)).toBe(201);
  jobId = (created.json as unknown as JobAnswer).id;
  expect(created.json).toMatchObject({ kind: 'follow', state: 'waiting', progress: null });
  // Started here, not in a test: they serve every test (the leak check ends them with the file).
  workers.push(startPgferryWorker(workerFlags, env), startPgferryWorker(workerFlags, env));
  await Promise.all(workers.map((worker) => worker.ready));
}, 600_000);

afterAll(async () => {
  for (const worker of workers) await worker.stop('SIGKILL');
  await t?.close();
  await cluster?.stop('immediate');
});

describe('continuous-sync jobs run by workers', () => {
  it('is followed by exactly one of two workers, and by the other after kill -9 of the holder', async () => {
    const first = await waitFor(async () => {
      const job = await getJob();
      return job.state === 'running' && job.progress?.phase === 'streaming' ? job : undefined;
    }, 600_000, 'a worker to stream the job');
    await caughtUp();
    const holder = workers.find((worker) => first.worker_id?.includes(`:${worker.child.pid}:`));
    expect(holder, `worker id ${first.worker_id}`).toBeDefined();
    // Exactly one follower: one active walsender for the job's slot on the source.
    const slots = await query<{ slot_name: string; active: boolean }>(sourceUrl, 'SELECT slot_name, active FROM pg_replication_slots');
    expect(slots.filter((slot) => slot.active)).toHaveLength(1);

    await holder!.stop('SIGKILL');
    await query(sourceUrl, `INSERT INTO public.items SELECT g, 'after kill ' || g FROM generate_series(201, 300) g; UPDATE public.items SET payload = 'changed' WHERE id <= 10; DELETE FROM public.items WHERE id BETWEEN 11 AND 20`);
    const second = await waitFor(async () => {
      const job = await getJob();
      return job.state === 'running' && job.worker_id !== first.worker_id ? job : undefined;
    }, 600_000, 'the other worker to take the job over');
    expect(second.worker_id).not.toBe(first.worker_id);
    await caughtUp();
    const digest = `SELECT md5(string_agg(id || ':' || payload, ',' ORDER BY id)) AS d FROM public.items`;
    expect((await query(destinationUrl, digest))[0]).toEqual((await query(sourceUrl, digest))[0]);
  }, 900_000);

  it('shows its lag in /metrics and queues a notification when the slot retains more than the threshold', async () => {
    const patched = await http('PATCH', `/api/v1/follow-jobs/${jobId}`, { retained_bytes_alert: 1 });
    expect(patched.status, JSON.stringify(patched.json)).toBe(200);
    // Its tables are fixed once started: the initial copy and the publication cover only those.
    const widened = await http('PATCH', `/api/v1/follow-jobs/${jobId}`, { selection: { tables: ['public.items', 'public.other'] } });
    expect(widened.status).toBe(400);
    expect(widened.json).toMatchObject({ error: { code: 'PGF_VALIDATION_FAILED', details: { fields: [expect.objectContaining({ field: 'selection', message: expect.stringContaining('drop the job and create another') })] } } });
    await query(sourceUrl, `UPDATE public.items SET payload = payload || '!'`);
    const delivery = await waitFor(
      () => t.store.db.selectFrom('notification_deliveries').select(['event', 'payload']).where('event', '=', 'replication_retained').executeTakeFirst(),
      600_000,
      'the replication_retained notification',
    );
    expect(JSON.stringify(delivery.payload)).toContain('orders-follow');
    const metrics = await t.request({ method: 'GET', url: '/metrics', as: 'anonymous' });
    expect(metrics.statusCode).toBe(200);
    expect(metrics.body).toMatch(new RegExp(`pgferry_follow_lag_bytes\\{job_id="${jobId}",job="orders-follow"\\} \\d+`));
    expect(metrics.body).toMatch(new RegExp(`pgferry_follow_up\\{job_id="${jobId}",job="orders-follow"\\} 1`));
    expect(metrics.body).toContain('pgferry_follow_retained_bytes{');
    expect(metrics.body).toContain('pgferry_follow_changes_applied{');
    const live = await http('GET', `/api/v1/follow-jobs/${jobId}/status`);
    expect(live.status, JSON.stringify(live.json)).toBe(200);
    expect(live.json).toMatchObject({ slot_name: expect.any(String), applied_lsn: expect.any(String) });
  }, 900_000);

  it('pauses from the CLI (the follower stops, the slot stays) and resumes over HTTP', async () => {
    const paused = await runCli(['replication', 'pause', 'orders-follow', '--json'], env);
    expect(paused.code, paused.stderr).toBe(0);
    expect(cliJson(paused)).toMatchObject({ state: 'paused' });
    await waitFor(async () => {
      const slots = await query<{ active: boolean }>(sourceUrl, 'SELECT active FROM pg_replication_slots');
      return slots.length === 1 && !slots[0]!.active ? true : undefined;
    }, 600_000, 'the follower to stop (its slot inactive, still there)');
    const listed = await runCli(['replication', 'list', '--json'], env);
    expect(listed.code, listed.stderr).toBe(0);
    expect(cliJson(listed).items).toEqual([expect.objectContaining({ name: 'orders-follow', state: 'paused', worker_id: null })]);
    // `jobs list` shows continuous-sync jobs beside the scheduled ones.
    const jobsListed = await runCli(['jobs', 'list'], env);
    expect(jobsListed.stdout).toMatch(/follow\s+\S+\s+orders-follow\s+— continuous, paused/);
    expect(cliJson(await runCli(['jobs', 'list', '--kind', 'follow', '--json'], env)).items).toEqual([expect.objectContaining({ kind: 'follow', name: 'orders-follow' })]);

    await query(sourceUrl, `INSERT INTO public.items SELECT g, 'while paused ' || g FROM generate_series(301, 350) g`);
    const resumed = await http('POST', `/api/v1/follow-jobs/${jobId}/resume`, {}, 'operator');
    expect(resumed.status, JSON.stringify(resumed.json)).toBe(200);
    await caughtUp();
    const shown = await runCli(['replication', 'show', 'orders-follow'], env);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toContain('continuous-sync job "orders-follow"');
    expect(shown.stdout).toMatch(/state: (running|waiting)/);
  }, 900_000);

  it('rehearses a cut-over over HTTP (report equal, job stopped), resumes, then cuts over from the CLI', async () => {
    const rehearsal = await http('POST', `/api/v1/follow-jobs/${jobId}/cutover`, { timeout_s: 300 });
    expect(rehearsal.status, JSON.stringify(rehearsal.json)).toBe(200);
    expect(rehearsal.json).toMatchObject({ equal: true, tables: [expect.objectContaining({ table: 'public.items', equal: true })] });
    expect(await getJob()).toMatchObject({ state: 'paused' });
    const notAgain = await http('POST', `/api/v1/follow-jobs/${jobId}/cutover`, {});
    expect(notAgain.status).toBe(409);
    expect((await http('POST', `/api/v1/follow-jobs/${jobId}/resume`, {})).status).toBe(200);
    await waitFor(async () => ((await getJob()).state === 'running' ? true : undefined), 600_000, 'a worker to follow the job again');

    await query(sourceUrl, `SELECT setval('public.items_seq', 4242)`);
    await query(sourceUrl, `INSERT INTO public.items SELECT g, 'before cut-over ' || g FROM generate_series(351, 400) g`);
    const cutover = await runCli(['cutover', 'orders-follow', '--timeout', '5m', '--json'], env);
    expect(cutover.code, `${cutover.stderr}\n${cutover.stdout}`).toBe(0);
    const report = cliJson(cutover);
    expect(report).toMatchObject({ equal: true, schema_equal: true });
    expect(report.tables).toEqual([expect.objectContaining({ table: 'public.items', equal: true, source_rows: await sourceCount() })]);
    expect(report.sequences_set).toEqual([expect.objectContaining({ sequence: expect.stringContaining('items_seq') })]);
    expect((await query(destinationUrl, 'SELECT last_value::int AS v FROM public.items_seq'))[0]).toEqual({ v: 4242 });
    expect(await destinationCount()).toBe(await sourceCount());
    await waitFor(async () => ((await getJob()).state === 'paused' ? true : undefined), 600_000, 'the job to stop after the cut-over');
    const job = await getJob();
    expect(job).toMatchObject({ state: 'paused', last_cutover: expect.objectContaining({ equal: true }) });
    const text = await runCli(['replication', 'show', 'orders-follow'], env);
    expect(text.stdout).toContain('last cut-over: equal');
  }, 900_000);

  it('refuses a batch run of the job, and drops it from the CLI with its slot, publication and position', async () => {
    const run = await http('POST', `/api/v1/sync-jobs/${jobId}/run`, {});
    expect(run.status).toBe(409);
    expect(run.json.error?.message).toContain('continuous sync');
    // The batch sync-jobs collection neither lists nor answers it as one of its own.
    const asBatch = await http('GET', `/api/v1/sync-jobs/${jobId}`);
    expect(asBatch.status).toBe(404);
    expect(asBatch.json.error?.message).toContain(`/api/v1/follow-jobs/${jobId}`);
    const before = await getJob();
    const dropped = await runCli(['replication', 'drop', 'orders-follow', '--json'], env);
    expect(dropped.code, dropped.stderr).toBe(0);
    expect(cliJson(dropped)).toMatchObject({ slot_dropped: true, publication_dropped: true });
    expect(await query(sourceUrl, 'SELECT slot_name FROM pg_replication_slots')).toEqual([]);
    expect(await query(sourceUrl, 'SELECT pubname FROM pg_publication WHERE pubname = $1', [before.progress?.publication_name])).toEqual([]);
    expect((await http('GET', `/api/v1/follow-jobs/${jobId}`)).status).toBe(404);
  }, 900_000);

  it('pauses a job whose follower cannot start (a table without replica identity) and tells the channels that watch failures', async () => {
    await query(sourceUrl, `CREATE TABLE public.keyless (note text); INSERT INTO public.keyless VALUES ('a')`);
    const channel = await http('POST', '/api/v1/notification-channels', { name: 'follow-failures', kind: 'webhook', config: { url: 'http://127.0.0.1:9/hook' }, events: ['failed'] });
    expect(channel.status, JSON.stringify(channel.json)).toBe(201);
    const connections = await t.store.db.selectFrom('connections').select(['id', 'name']).execute();
    const id = (name: string) => connections.find((row) => row.name === name)!.id;
    const created = await http('POST', '/api/v1/follow-jobs', {
      name: 'keyless-follow',
      source_connection_id: id('follow-source'),
      destination_connection_id: id('follow-destination'),
      selection: { tables: ['public.keyless'] },
      channel_ids: [channel.json.id],
    });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    const keylessId = (created.json as unknown as JobAnswer).id;
    const stopped = await waitFor(async () => {
      const job = (await http('GET', `/api/v1/follow-jobs/${keylessId}`)).json as unknown as JobAnswer & { paused_reason: string | null };
      return job.state === 'paused' ? job : undefined;
    }, 600_000, 'the failing job to be paused');
    expect(stopped.last_error).toMatchObject({ code: 'PGF_FOLLOW_REPLICA_IDENTITY', message: expect.stringContaining('public.keyless') });
    expect(stopped.paused_reason).toContain('PGF_FOLLOW_REPLICA_IDENTITY');
    const delivery = await waitFor(
      () => t.store.db.selectFrom('notification_deliveries').select(['payload']).where('event', '=', 'failed').executeTakeFirst(),
      600_000,
      'the failure notification',
    );
    expect(JSON.stringify(delivery.payload)).toContain('keyless-follow');
    // A failed start leaves nothing behind on the source.
    expect(await query(sourceUrl, 'SELECT slot_name FROM pg_replication_slots')).toEqual([]);
  }, 900_000);
});
