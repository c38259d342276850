import { randomBytes } from 'node:crypto';

import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { defaultExecutors } from '../../src/jobs/executors/default-executors.js';
import { JobWorker } from '../../src/jobs/job-worker.js';
import { runJobNow } from '../../src/jobs/run-service.js';
import { queueRunNotifications } from '../../src/notifications/notification-dispatcher.js';
import type { NotificationPayload } from '../../src/notifications/notification-payload.js';
import { getRun } from '../../src/store/run-repository.js';
import { isTerminalRunStatus } from '../../src/store/run-statuses.js';
import { createSyncJob } from '../../src/jobs/sync-job-service.js';
import { trackResource } from '../helpers/leak-check.js';
import { runCli } from '../helpers/run-cli.js';
import { type TestApp, createTestApp } from '../helpers/test-app.js';
import { adminQuery, createTestDatabase, serverUrl } from '../helpers/test-database.js';
import { quietLogger, waitFor } from './job-fixtures.js';

// A real sync that ends incomplete: the source has an event trigger, and the destination is
// written by a role that is not a superuser, so the engine cannot reproduce it there.

let t: TestApp;
let worker: JobWorker;
let releaseWorker: () => void;
let source: { name: string; url: string };
let destination: { name: string; url: string };
let jobId: string;
const writer = `pgferry_incomplete_${randomBytes(3).toString('hex')}`;
const trigger = 'event trigger audit_ddl';
const reason = 'creating it needs a superuser on the destination';

async function query(url: string, text: string, values: unknown[] = []): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(text, values);
  } finally {
    await client.end();
  }
}

const ended = (runId: string) =>
  waitFor(async () => {
    const run = await getRun(t.store.db, runId);
    return isTerminalRunStatus(run.status) ? run : undefined;
  }, 60_000, `run ${runId}`);

beforeAll(async () => {
  t = await createTestApp();
  source = await createTestDatabase({ migrated: false, prefix: 'pgferry_incomplete_src' });
  destination = await createTestDatabase({ migrated: false, prefix: 'pgferry_incomplete_dst' });
  await adminQuery(`CREATE ROLE ${writer} LOGIN`);
  await adminQuery(`ALTER DATABASE ${destination.name} OWNER TO ${writer}`);
  await query(
    source.url,
    `CREATE TABLE public.t (id integer PRIMARY KEY, v text); INSERT INTO public.t SELECT g, 'v' || g FROM generate_series(1, 50) g;
     CREATE FUNCTION public.audit_ddl() RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN END $$;
     CREATE EVENT TRIGGER audit_ddl ON ddl_command_end EXECUTE FUNCTION public.audit_ddl();`,
  );
  const server = new URL(serverUrl());
  const at = { host: server.hostname, port: Number(server.port || 5432) };
  const [src, dst] = await t.store.db
    .insertInto('connections')
    .values([
      { name: 'incomplete-src', ...at, database: source.name, username: decodeURIComponent(server.username) },
      { name: 'incomplete-dst', ...at, database: destination.name, username: writer },
    ])
    .returning('id')
    .execute();
  const channel = await t.store.db
    .insertInto('notification_channels')
    .values({ name: 'on-failure', kind: 'webhook', config: JSON.stringify({ url: 'http://127.0.0.1:9/hook' }), events: ['failed'] })
    .returning('id')
    .executeTakeFirstOrThrow();
  jobId = (
    await createSyncJob(t.store.db, {
      name: 'needs-superuser',
      source_connection_id: src!.id,
      destination_connection_id: dst!.id,
      selection: {},
      channel_ids: [channel.id],
    })
  ).id;
  worker = new JobWorker({ db: t.store.db, secrets: t.secrets, logger: quietLogger(), executors: defaultExecutors, pollIntervalMs: 100, heartbeatIntervalMs: 500 });
  releaseWorker = trackResource('job worker', () => worker.stop(0));
  worker.start();
});

afterAll(async () => {
  releaseWorker?.();
  await worker?.stop(0);
  await t?.close();
  // The role owns the destination database's objects: hand them back before dropping it.
  await query(destination.url, `REASSIGN OWNED BY ${writer} TO CURRENT_USER; DROP OWNED BY ${writer}`).catch(() => undefined);
  await adminQuery(`ALTER DATABASE ${destination.name} OWNER TO CURRENT_USER`).catch(() => undefined);
  await adminQuery(`DROP ROLE IF EXISTS ${writer}`);
});

describe('a saved sync job whose destination cannot take every schema object', () => {
  it('ends incomplete, never succeeded, and the API shows the missing objects', async () => {
    const run = await ended((await runJobNow(t.store.db, 'sync', jobId, { trigger: 'manual' })).id);
    expect(run.status, run.error_message ?? '').toBe('incomplete');
    // The data is all there.
    expect((await query(destination.url, 'SELECT count(*)::int AS n FROM public.t')).rows[0].n).toBe(50);

    const detail = await t.request({ method: 'GET', url: `/api/v1/runs/${run.id}`, as: 'viewer' });
    expect(detail.statusCode).toBe(200);
    const view = detail.json() as { status: string; error_code: string; error_message: string; missing_objects: unknown[]; tables: { status: string }[] };
    expect(view).toMatchObject({ status: 'incomplete', error_code: 'PGF_RUN_INCOMPLETE', missing_objects: [{ object: trigger, reason }] });
    expect(view.error_message).toContain(`1 schema object(s) not reproduced on the destination: ${trigger} (${reason})`);
    expect(view.tables).toEqual([expect.objectContaining({ table: 'public.t', status: 'succeeded' })]);

    const listed = await t.request({ method: 'GET', url: '/api/v1/runs?status=incomplete', as: 'viewer' });
    expect((listed.json() as { items: { id: string }[] }).items.map((item) => item.id)).toEqual([run.id]);
    expect(((await t.request({ method: 'GET', url: '/api/v1/runs?status=succeeded', as: 'viewer' })).json() as { items: unknown[] }).items).toEqual([]);

    const logs = (await t.request({ method: 'GET', url: `/api/v1/runs/${run.id}/logs?level=warn`, as: 'viewer' })).json() as { items: { level: string; message: string }[] };
    expect(logs.items).toContainEqual(expect.objectContaining({ level: 'warn', message: `not reproduced: ${trigger}: ${reason}` }));

    // Channels that watch failures are told, with the run called incomplete and the object named.
    expect(await queueRunNotifications(t.store.db, run)).toBe(1);
    const delivery = await t.store.db.selectFrom('notification_deliveries').select(['event', 'payload']).where('run_id', '=', run.id).executeTakeFirstOrThrow();
    const payload = delivery.payload as NotificationPayload;
    expect(delivery.event).toBe('failed');
    expect(payload.title).toBe('pgferry: sync job "needs-superuser" ⚠️ incomplete (schema objects not reproduced)');
    expect(payload.text).toContain(`  ${trigger}: ${reason}`);
    expect(payload.run).toMatchObject({ status: 'incomplete', missing_objects: [{ object: trigger, reason }] });

    // An incomplete run can be retried (after fixing the destination), not resumed.
    expect((await t.request({ method: 'POST', url: `/api/v1/runs/${run.id}/resume`, as: 'operator' })).statusCode).toBe(409);
    const retry = await t.request({ method: 'POST', url: `/api/v1/runs/${run.id}/retry`, as: 'operator' });
    expect(retry.statusCode).toBe(201);
    expect((await ended((retry.json() as { id: string }).id)).status).toBe('incomplete');
  });

  it('`pgferry jobs run --wait` exits 15 and names what was not reproduced', async () => {
    const result = await runCli(['jobs', 'run', 'needs-superuser', '--wait'], { DATABASE_URL: t.store.url, PGFERRY_ENCRYPTION_KEY: randomBytes(32).toString('hex') });
    expect(result.code, result.stderr).toBe(15);
    expect(result.stdout).toMatch(/^run [0-9a-f-]{36} incomplete: every table was copied, but 1 schema object\(s\) not reproduced/m);
    expect(result.stdout).toContain(`  not reproduced: ${trigger}: ${reason}`);
  });

  it('`pgferry sync` prints each missing object and exits 15 with PGF_RUN_INCOMPLETE', async () => {
    const to = new URL(destination.url);
    to.username = writer;
    to.password = '';
    const result = await runCli(['sync', '--from', source.url, '--to', to.toString(), '--yes']);
    expect(result.code, result.stderr).toBe(15);
    expect(result.stdout).toMatch(/^incomplete: 1 succeeded, 0 failed/m);
    expect(result.stdout).toContain(`1 schema object(s) not reproduced on the destination:\n  not reproduced: ${trigger}: ${reason}\n`);
    expect(result.stdout).not.toContain('resume with');
    expect(result.stderr).toContain(`every table was copied, but 1 schema object(s) were not reproduced on the destination: ${trigger} (${reason})`);
    expect(result.stderr).toContain('PGF_RUN_INCOMPLETE');
  });
});
