import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type TestApp, createTestApp } from '../helpers/test-app.js';
import { startHttpSink } from '../notifications/notification-sinks.js';
import { JobWorker } from '../../src/jobs/job-worker.js';
import { trackResource } from '../helpers/leak-check.js';
import { insertConnections, quietLogger, sleepExecutor, testSecrets } from './job-fixtures.js';

let t: TestApp;
let connections: { source: string; destination: string };
let storageId: string;

beforeAll(async () => {
  t = await createTestApp();
  connections = await insertConnections(t.store.db, 'api');
  storageId = (await t.store.db.insertInto('storages').values({ name: 'local-st', kind: 'local', config: JSON.stringify({ path: '/tmp/x' }) }).returning('id').executeTakeFirstOrThrow()).id;
});
afterAll(async () => {
  await t.close();
});

const json = (response: { body: string }) => JSON.parse(response.body);
const count = async (table: 'sync_jobs' | 'backup_jobs' | 'runs' | 'notification_channels') =>
  Number((await sql<{ n: string }>`SELECT count(*) AS n FROM ${sql.table(table)}`.execute(t.store.db)).rows[0]!.n);

function syncBody(overrides: Record<string, unknown> = {}) {
  return { name: `sync-${Math.random().toString(36).slice(2, 8)}`, source_connection_id: connections.source, destination_connection_id: connections.destination, ...overrides };
}

describe('job routes refuse bad payloads with field names and store nothing', () => {
  const badSync: [string, Record<string, unknown>, string][] = [
    ['missing name', { source_connection_id: '00000000-0000-4000-8000-000000000000' }, 'name'],
    ['bad uuid', { name: 'x', source_connection_id: 'nope', destination_connection_id: 'nope2' }, 'source_connection_id'],
    ['bad mode', { default_mode: 'teleport' }, 'default_mode'],
    ['bad cron hour', { cron: '0 0 25 * * *' }, 'cron'],
    ['bad zone', { cron: '0 * * * *', timezone: 'Nowhere/Town' }, 'timezone'],
    ['parallelism 0', { parallelism: 0 }, 'parallelism'],
    ['unknown field', { colour: 'blue' }, 'colour'],
    ['bad table option', { table_options: { 'public.t': { mode: 'full', speed: 3 } } }, 'table_options'],
    ['same source and destination', { destination_connection_id: 'SOURCE' }, 'destination_connection_id'],
    ['unknown connection', { source_connection_id: '00000000-0000-4000-8000-000000000001' }, 'source_connection_id'],
    ['unknown channel', { channel_ids: ['00000000-0000-4000-8000-000000000002'] }, 'channel_ids'],
    ['incremental without a cursor', { default_mode: 'incremental' }, 'cursor_column'],
    ['unknown column rule', { table_options: { 'public.users': { columns: { ssn: 'shred' } } } }, 'table_options.public.users.columns.ssn'],
  ];

  it.each(badSync)('POST /sync-jobs: %s', async (_label, patch, field) => {
    const before = await count('sync_jobs');
    const body = syncBody(patch);
    if (body.destination_connection_id === 'SOURCE') body.destination_connection_id = connections.source;
    if (_label === 'missing name') delete (body as Record<string, unknown>).name;
    const response = await t.request({ method: 'POST', url: '/api/v1/sync-jobs', payload: body });
    expect(response.statusCode).toBe(400);
    expect(json(response).error.code).toBe('PGF_VALIDATION_FAILED');
    expect(json(response).error.message).toContain(field);
    expect(await count('sync_jobs')).toBe(before);
  });

  it('PATCH, run, enable on sync and backup jobs refuse bad input and unknown jobs', async () => {
    const job = json(await t.request({ method: 'POST', url: '/api/v1/sync-jobs', payload: syncBody({ cron: '0 * * * *' }) }));
    const patch = await t.request({ method: 'PATCH', url: `/api/v1/sync-jobs/${job.id}`, payload: { cron: '61 * * * *' } });
    expect(patch.statusCode).toBe(400);
    expect(json(patch).error.message).toMatch(/cron.*field 1 \(minute\)/);
    expect(json(await t.request({ method: 'GET', url: `/api/v1/sync-jobs/${job.id}` })).cron).toBe('0 * * * *');
    const patchType = await t.request({ method: 'PATCH', url: `/api/v1/sync-jobs/${job.id}`, payload: { retry_max: 'lots' } });
    expect(patchType.statusCode).toBe(400);
    expect(json(patchType).error.message).toContain('retry_max');
    const runBody = await t.request({ method: 'POST', url: `/api/v1/sync-jobs/${job.id}/run`, payload: { params: 'x' } });
    expect(runBody.statusCode).toBe(400);
    expect(json(runBody).error.message).toContain('params');
    expect((await t.request({ method: 'POST', url: '/api/v1/sync-jobs/no-such-job/enable' })).statusCode).toBe(404);
    expect((await t.request({ method: 'POST', url: '/api/v1/backup-jobs/no-such-job/run' })).statusCode).toBe(404);
    expect((await t.request({ method: 'GET', url: '/api/v1/sync-jobs?page=0' })).statusCode).toBe(400);
    expect(await count('runs')).toBe(0);

    const before = await count('backup_jobs');
    for (const [payload, field] of [
      [{ name: 'b', connection_id: connections.source, storage_ids: [] }, 'storage_ids'],
      [{ name: 'b', connection_id: connections.source, storage_ids: [storageId], format: 'tar' }, 'format'],
      [{ name: 'b', connection_id: connections.source, storage_ids: [storageId], retention: { keep_last: -1 } }, 'retention'],
      [{ name: 'b', connection_id: connections.source, storage_ids: ['00000000-0000-4000-8000-000000000003'] }, 'storage_ids'],
      [{ name: 'b', connection_id: connections.source, storage_ids: [storageId], cron: '* * *' }, 'cron'],
      // Incremental backups are physical ones; a full one every run or two at least.
      [{ name: 'b', connection_id: connections.source, storage_ids: [storageId], incremental_full_every: 3 }, 'incremental_full_every'],
      [{ name: 'b', connection_id: connections.source, storage_ids: [storageId], format: 'pg_dump', incremental_full_every: 3 }, 'incremental_full_every'],
      [{ name: 'b', connection_id: connections.source, storage_ids: [storageId], format: 'physical', incremental_full_every: 1 }, 'incremental_full_every'],
    ] as const) {
      const response = await t.request({ method: 'POST', url: '/api/v1/backup-jobs', payload });
      expect(response.statusCode, JSON.stringify(payload)).toBe(400);
      expect(json(response).error.message).toContain(field);
    }
    expect(await count('backup_jobs')).toBe(before);
  });
});

describe('jobs and runs through the API', () => {
  it('creates, edits, schedules, runs now and deletes a sync job', async () => {
    const created = await t.request({ method: 'POST', url: '/api/v1/sync-jobs', payload: syncBody({ name: 'orders nightly', cron: '30 2 * * *', timezone: 'Asia/Shanghai' }) });
    expect(created.statusCode).toBe(201);
    const job = json(created);
    expect(job).toMatchObject({ kind: 'sync', name: 'orders nightly', cron: '30 2 * * *', timezone: 'Asia/Shanghai', enabled: true, default_mode: 'full' });
    // 02:30 in Shanghai is 18:30 UTC.
    expect(job.next_fire_at).toMatch(/T18:30:00.000Z$/);
    const duplicate = await t.request({ method: 'POST', url: '/api/v1/sync-jobs', payload: syncBody({ name: 'ORDERS NIGHTLY' }) });
    expect(duplicate.statusCode).toBe(409);
    // The same answer as connections and storages: the field and code the UI shows under the input.
    expect(json(duplicate).error).toMatchObject({ code: 'PGF_CONFLICT', details: { fields: [{ field: 'name', code: 'taken' }] } });
    expect(json(duplicate).error.message).toContain('a sync job named "ORDERS NIGHTLY" already exists');

    const disabled = json(await t.request({ method: 'POST', url: `/api/v1/sync-jobs/${job.id}/disable` }));
    expect(disabled).toMatchObject({ enabled: false, next_fire_at: null });
    const enabled = json(await t.request({ method: 'POST', url: '/api/v1/sync-jobs/orders nightly/enable' }));
    expect(enabled.next_fire_at).not.toBeNull();
    const edited = json(await t.request({ method: 'PATCH', url: `/api/v1/sync-jobs/${job.id}`, payload: { parallelism: 4, cron: null } }));
    expect(edited).toMatchObject({ parallelism: 4, cron: null, next_fire_at: null });
    // Owners and grants are copied only on request.
    expect(job).toMatchObject({ copy_owners: false, copy_grants: false });
    const privileged = json(await t.request({ method: 'PATCH', url: `/api/v1/sync-jobs/${job.id}`, payload: { copy_owners: true, copy_grants: true } }));
    expect(privileged).toMatchObject({ copy_owners: true, copy_grants: true, parallelism: 4 });
    expect((await t.request({ method: 'PATCH', url: `/api/v1/sync-jobs/${job.id}`, payload: { copy_grants: 'yes' } })).statusCode).toBe(400);

    const listed = json(await t.request({ method: 'GET', url: '/api/v1/sync-jobs?q=orders&page_size=5' }));
    expect(listed).toMatchObject({ total: 1, page: 1, page_size: 5 });

    const run = await t.request({ method: 'POST', url: `/api/v1/sync-jobs/${job.id}/run` });
    expect(run.statusCode).toBe(202);
    expect(json(run)).toMatchObject({ status: 'queued', trigger: 'api', job_id: job.id, job_name: 'orders nightly', created_by: 'pgferry-test-admin' });
    const again = await t.request({ method: 'POST', url: `/api/v1/sync-jobs/${job.id}/run` });
    expect(again.statusCode).toBe(409);
    expect(json(again).error.code).toBe('PGF_JOB_ALREADY_RUNNING');
    expect((await t.request({ method: 'DELETE', url: `/api/v1/sync-jobs/${job.id}` })).statusCode).toBe(409);

    const cancelled = await t.request({ method: 'POST', url: `/api/v1/runs/${json(run).id}/cancel` });
    expect(cancelled.statusCode).toBe(202);
    expect(json(cancelled).status).toBe('cancelled');
    expect((await t.request({ method: 'POST', url: `/api/v1/runs/${json(run).id}/cancel` })).statusCode).toBe(409);

    const retried = await t.request({ method: 'POST', url: `/api/v1/runs/${json(run).id}/retry` });
    expect(retried.statusCode).toBe(201);
    expect(json(retried)).toMatchObject({ trigger: 'retry', retry_of: json(run).id, status: 'queued' });
    await t.request({ method: 'POST', url: `/api/v1/runs/${json(retried).id}/cancel` });
    const resumed = await t.request({ method: 'POST', url: `/api/v1/runs/${json(retried).id}/resume` });
    expect(resumed.statusCode).toBe(201);
    expect(json(resumed)).toMatchObject({ trigger: 'resume', resume_of: json(retried).id });
    await t.request({ method: 'POST', url: `/api/v1/runs/${json(resumed).id}/cancel` });

    expect((await t.request({ method: 'DELETE', url: `/api/v1/sync-jobs/${job.id}` })).statusCode).toBe(204);
    expect((await t.request({ method: 'GET', url: `/api/v1/sync-jobs/${job.id}` })).statusCode).toBe(404);
    // Runs outlive their job, keeping its name.
    const detail = json(await t.request({ method: 'GET', url: `/api/v1/runs/${json(run).id}` }));
    expect(detail).toMatchObject({ job_id: null, job_name: 'orders nightly', status: 'cancelled', tables: [] });
  });

  it('accepts incremental with a cursor per listed table or a "*" default', async () => {
    const perTable = await t.request({
      method: 'POST',
      url: '/api/v1/sync-jobs',
      payload: syncBody({ default_mode: 'incremental', selection: { tables: ['public.a'] }, table_options: { 'public.a': { cursor_column: 'updated_at' } } }),
    });
    expect(perTable.statusCode, perTable.body).toBe(201);
    const withDefault = await t.request({ method: 'POST', url: '/api/v1/sync-jobs', payload: syncBody({ default_mode: 'incremental', table_options: { '*': { cursor_column: 'updated_at' } } }) });
    expect(withDefault.statusCode, withDefault.body).toBe(201);
    for (const job of [json(perTable), json(withDefault)]) await t.request({ method: 'DELETE', url: `/api/v1/sync-jobs/${job.id}` });
  });

  it('refuses full sync into a protected destination', async () => {
    await t.store.db.updateTable('connections').set({ protected: true }).where('id', '=', connections.destination).execute();
    try {
      const full = await t.request({ method: 'POST', url: '/api/v1/sync-jobs', payload: syncBody() });
      expect(full.statusCode).toBe(400);
      expect(json(full).error.message).toContain('protected');
      const upsert = await t.request({ method: 'POST', url: '/api/v1/sync-jobs', payload: syncBody({ default_mode: 'upsert' }) });
      expect(upsert.statusCode).toBe(201);
    } finally {
      await t.store.db.updateTable('connections').set({ protected: false }).where('id', '=', connections.destination).execute();
    }
  });

  it('manages backup jobs with storages', async () => {
    const created = await t.request({
      method: 'POST',
      url: '/api/v1/backup-jobs',
      payload: { name: 'nightly backup', connection_id: connections.source, storage_ids: [storageId], cron: '0 3 * * *', retention: { keep_last: 7 } },
    });
    expect(created.statusCode).toBe(201);
    const job = json(created);
    expect(job).toMatchObject({ kind: 'backup', storage_ids: [storageId], retention: { keep_last: 7 }, format: 'native', compression: 'gzip' });
    const duplicate = await t.request({ method: 'POST', url: '/api/v1/backup-jobs', payload: { name: 'Nightly Backup', connection_id: connections.source, storage_ids: [storageId] } });
    expect(duplicate.statusCode).toBe(409);
    expect(json(duplicate).error).toMatchObject({ code: 'PGF_CONFLICT', details: { fields: [{ field: 'name', code: 'taken' }] } });
    const run = json(await t.request({ method: 'POST', url: `/api/v1/backup-jobs/${job.id}/run` }));
    expect(run).toMatchObject({ kind: 'backup', status: 'queued' });
    expect((await t.request({ method: 'POST', url: `/api/v1/runs/${run.id}/resume` })).statusCode).toBe(409);
    await t.request({ method: 'POST', url: `/api/v1/runs/${run.id}/cancel` });
    expect((await t.request({ method: 'DELETE', url: `/api/v1/backup-jobs/${job.id}` })).statusCode).toBe(204);

    const physical = json(
      await t.request({ method: 'POST', url: '/api/v1/backup-jobs', payload: { name: 'cluster incremental', connection_id: connections.source, storage_ids: [storageId], format: 'physical', incremental_full_every: 4 } }),
    );
    expect(physical).toMatchObject({ format: 'physical', incremental_full_every: 4 });
    expect(json(await t.request({ method: 'GET', url: `/api/v1/backup-jobs/${physical.id}` }))).toMatchObject({ incremental_full_every: 4 });
    // Another format keeps no incremental setting: refused while set, accepted once cleared.
    const toNative = await t.request({ method: 'PATCH', url: `/api/v1/backup-jobs/${physical.id}`, payload: { format: 'native' } });
    expect(toNative.statusCode).toBe(400);
    expect(json(toNative).error.details.fields).toEqual([expect.objectContaining({ field: 'incremental_full_every' })]);
    const cleared = await t.request({ method: 'PATCH', url: `/api/v1/backup-jobs/${physical.id}`, payload: { format: 'native', incremental_full_every: null } });
    expect(cleared.statusCode).toBe(200);
    expect(json(cleared)).toMatchObject({ format: 'native', incremental_full_every: null });
    expect((await t.request({ method: 'DELETE', url: `/api/v1/backup-jobs/${physical.id}` })).statusCode).toBe(204);
  });

  it('lists runs with filters and keyset pagination, and serves logs and a finished run over SSE', async () => {
    const job = json(await t.request({ method: 'POST', url: '/api/v1/sync-jobs', payload: syncBody({ name: 'paging' }) }));
    const ids: string[] = [];
    for (let index = 0; index < 7; index += 1) {
      const inserted = await t.store.db
        .insertInto('runs')
        .values({ kind: 'sync', sync_job_id: job.id, job_name: 'paging', trigger: 'schedule', scheduled_for: new Date(Date.now() - index * 60_000), status: index % 2 ? 'failed' : 'succeeded', started_at: new Date(), finished_at: new Date(), queued_at: new Date(Date.now() - index * 1000), params: '{}', tables: '[]', total_rows: 0, total_bytes: 0 })
        .returning('id')
        .executeTakeFirstOrThrow();
      ids.push(inserted.id);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = json(await t.request({ method: 'GET', url: `/api/v1/runs?job_id=${job.id}&limit=3${cursor ? `&cursor=${cursor}` : ''}` }));
      seen.push(...page.items.map((run: { id: string }) => run.id));
      cursor = page.next_cursor;
    } while (cursor);
    expect(seen).toEqual(ids);
    const failed = json(await t.request({ method: 'GET', url: `/api/v1/runs?job_id=${job.id}&status=failed` }));
    expect(failed.items).toHaveLength(3);
    expect((await t.request({ method: 'GET', url: '/api/v1/runs?status=exploded' })).statusCode).toBe(400);
    expect((await t.request({ method: 'GET', url: '/api/v1/runs?cursor=garbage' })).statusCode).toBe(400);
    const recent = json(await t.request({ method: 'GET', url: `/api/v1/runs?job_id=${job.id}&from=${encodeURIComponent(new Date(Date.now() - 2500).toISOString())}` }));
    expect(recent.items.length).toBeGreaterThanOrEqual(2);
    expect(recent.items.length).toBeLessThan(7);

    await t.store.db.insertInto('run_logs').values([
      { run_id: ids[0]!, level: 'info', message: 'copying "public"."orders"', table_name: 'public.orders' },
      { run_id: ids[0]!, level: 'error', message: 'boom' },
    ]).execute();
    const logs = json(await t.request({ method: 'GET', url: `/api/v1/runs/${ids[0]}/logs` }));
    expect(logs.items.map((line: { message: string }) => line.message)).toEqual(['copying "public"."orders"', 'boom']);
    const errorsOnly = json(await t.request({ method: 'GET', url: `/api/v1/runs/${ids[0]}/logs?level=error` }));
    expect(errorsOnly.items).toHaveLength(1);

    const events = await t.request({ method: 'GET', url: `/api/v1/runs/${ids[0]}/events` });
    expect(events.statusCode).toBe(200);
    expect(events.headers['content-type']).toContain('text/event-stream');
    expect(events.body).toContain('event: run\n');
    expect(events.body).toContain('event: log\n');
    expect(events.body).toContain('"message":"boom"');
    expect(events.body).toMatch(/event: end\ndata: \{"status":"succeeded"\}/);
    expect((await t.request({ method: 'GET', url: '/api/v1/runs/00000000-0000-4000-8000-000000000009/events' })).statusCode).toBe(404);
  });

  it('previews cron schedules with descriptions and points at a bad field', async () => {
    const preview = await t.request({ method: 'GET', url: '/api/v1/cron/preview?expression=0%2030%202%20*%20*%20*&timezone=Europe/Berlin&count=3&from=2026-03-28T00:00:00Z' });
    expect(preview.statusCode).toBe(200);
    expect(json(preview)).toEqual({
      expression: '0 30 2 * * *',
      timezone: 'Europe/Berlin',
      next: ['2026-03-28T01:30:00.000Z', '2026-03-29T01:00:00.000Z', '2026-03-30T00:30:00.000Z'],
      description: { en: 'At 02:30', 'zh-CN': '在02:30' },
    });
    const bad = await t.request({ method: 'GET', url: '/api/v1/cron/preview?expression=0%2099%20*%20*%20*' });
    expect(bad.statusCode).toBe(400);
    expect(json(bad).error).toMatchObject({ code: 'PGF_CRON_INVALID', details: { field: 'hour', position: 2 } });
  });

  it('manages notification channels without ever returning secrets, and tests them', async () => {
    const sink = await startHttpSink();
    try {
      const bad = await t.request({ method: 'POST', url: '/api/v1/notification-channels', payload: { name: 'x', kind: 'webhook', config: { url: 'ftp://x' } } });
      expect(bad.statusCode).toBe(400);
      expect(json(bad).error.message).toContain('config.url');
      expect((await t.request({ method: 'POST', url: '/api/v1/notification-channels', payload: { name: 'x', kind: 'pigeon', config: {} } })).statusCode).toBe(400);
      expect(await count('notification_channels')).toBe(0);

      const created = await t.request({ method: 'POST', url: '/api/v1/notification-channels', payload: { name: 'ops hook', kind: 'webhook', events: ['failed', 'recovered'], config: { url: `${sink.url}/h`, secret: 's3cr3t-value' } } });
      expect(created.statusCode).toBe(201);
      expect(created.body).not.toContain('s3cr3t-value');
      const channel = json(created);
      expect(channel).toMatchObject({ kind: 'webhook', secrets_set: ['secret'], config: { url: `${sink.url}/h` } });
      const duplicate = await t.request({ method: 'POST', url: '/api/v1/notification-channels', payload: { name: 'OPS hook', kind: 'webhook', config: { url: `${sink.url}/h` } } });
      expect(duplicate.statusCode).toBe(409);
      expect(json(duplicate).error).toMatchObject({ code: 'PGF_CONFLICT', details: { fields: [{ field: 'name', code: 'taken' }] } });
      const tested = json(await t.request({ method: 'POST', url: `/api/v1/notification-channels/${channel.id}/test` }));
      expect(tested).toMatchObject({ delivered: true, response_status: 200 });
      expect(sink.received[0]!.headers['x-pgferry-event']).toBe('test');
      const deliveries = json(await t.request({ method: 'GET', url: `/api/v1/notification-channels/${channel.id}/deliveries` }));
      expect(deliveries.items[0]).toMatchObject({ event: 'test', status: 'delivered', attempts: 1 });
      const patched = json(await t.request({ method: 'PATCH', url: `/api/v1/notification-channels/${channel.id}`, payload: { config: { secret: null } } }));
      expect(patched.secrets_set).toEqual([]);
      expect(t.logs.join('\n')).not.toContain('s3cr3t-value');
      expect((await t.request({ method: 'DELETE', url: `/api/v1/notification-channels/${channel.id}` })).statusCode).toBe(204);
    } finally {
      await sink.close();
    }
  });

  it('lets viewers read but not create jobs or run them', async () => {
    expect((await t.request({ method: 'GET', url: '/api/v1/sync-jobs', as: 'viewer' })).statusCode).toBe(200);
    expect((await t.request({ method: 'POST', url: '/api/v1/sync-jobs', payload: syncBody(), as: 'viewer' })).statusCode).toBe(403);
    expect((await t.request({ method: 'POST', url: '/api/v1/sync-jobs', payload: syncBody(), as: 'operator' })).statusCode).toBe(403);
    expect((await t.request({ method: 'GET', url: '/api/v1/runs', as: 'anonymous' })).statusCode).toBe(401);
  });

  it('streams a live run over SSE: running with per-table progress, its log lines, then the end', async () => {
    const job = json(await t.request({ method: 'POST', url: '/api/v1/sync-jobs', payload: syncBody({ name: 'live' }) }));
    const worker = new JobWorker({ db: t.store.db, secrets: testSecrets(), logger: quietLogger(), executors: { sync: sleepExecutor(2500) }, pollIntervalMs: 100, heartbeatIntervalMs: 200 });
    const release = trackResource('job worker', () => worker.stop(0));
    worker.start();
    try {
      const run = json(await t.request({ method: 'POST', url: `/api/v1/sync-jobs/${job.id}/run` }));
      const stream = await t.request({ method: 'GET', url: `/api/v1/runs/${run.id}/events` });
      const events = stream.body
        .split('\n\n')
        .filter((block) => block.includes('event: '))
        .map((block) => ({ event: /event: (\w+)/.exec(block)![1], data: JSON.parse(/data: (.*)/.exec(block)![1]!) as Record<string, unknown> }));
      const runEvents = events.filter((event) => event.event === 'run').map((event) => event.data);
      expect(runEvents.some((data) => data.status === 'running' && JSON.stringify(data.tables).includes('"status":"running"'))).toBe(true);
      expect(runEvents.at(-1)).toMatchObject({ status: 'succeeded', total_rows: 2 });
      expect(events.filter((event) => event.event === 'log').map((event) => event.data.message)).toContain('sleeping 2500 ms');
      expect(events.at(-1)).toEqual({ event: 'end', data: { status: 'succeeded' } });
    } finally {
      release();
      await worker.stop(0);
    }
  });

  it('documents every job, run, channel and cron route in the OpenAPI document', async () => {
    const response = await t.request({ method: 'GET', url: '/api/v1/openapi.json' });
    expect(response.statusCode).toBe(200);
    const paths = Object.keys((JSON.parse(response.body) as { paths: Record<string, unknown> }).paths);
    for (const path of ['/api/v1/sync-jobs', '/api/v1/backup-jobs/{id}/run', '/api/v1/runs', '/api/v1/runs/{id}/events', '/api/v1/notification-channels/{id}/test', '/api/v1/cron/preview']) {
      expect(paths).toContain(path);
    }
  });
});
