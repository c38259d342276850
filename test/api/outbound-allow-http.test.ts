import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { syncExecutor } from '../../src/jobs/executors/sync-executor.js';
import { runJobNow } from '../../src/jobs/run-service.js';
import { createOutboundCheck } from '../../src/net/outbound-guard.js';
import { startS3Server } from '../backup/s3-server.js';
import { type HttpClient, listenForHttp } from '../helpers/http-client.js';
import { type TestApp, createTestApp } from '../helpers/test-app.js';
import { quietLogger } from '../jobs/job-fixtures.js';
import { deliverQueued } from '../notifications/deliver-queued.js';
import { startConnectionCounter, startHttpSink } from '../notifications/notification-sinks.js';

// PGFERRY_OUTBOUND_ALLOW: a destination off the list is refused before pgferry connects to it.

type Sink = Awaited<ReturnType<typeof startHttpSink>>;
type S3 = Awaited<ReturnType<typeof startS3Server>>;
type Counter = Awaited<ReturnType<typeof startConnectionCounter>>;

const database = { host: '127.0.0.1', port: 5432, database: 'postgres', user: 'postgres' };
const s3Storage = (s3: S3, name: string) => ({
  name,
  kind: 's3',
  config: { bucket: name, endpoint: s3.endpoint, force_path_style: true, region: 'us-east-1', access_key_id: 'S3RVER' },
  secret_access_key: 'S3RVER',
});

/** An email channel's settings for an SMTP server on 127.0.0.1:`port`. */
const mailConfig = (port: number) => ({ host: '127.0.0.1', port, from: 'pgferry@example.com', to: ['ops@example.com'] });

describe('PGFERRY_OUTBOUND_ALLOW refuses what is not listed', () => {
  let t: TestApp;
  let call: HttpClient;
  let sink: Sink;
  let s3: S3;
  let smtp: Counter;

  beforeAll(async () => {
    sink = await startHttpSink();
    s3 = await startS3Server();
    smtp = await startConnectionCounter();
    t = await createTestApp({ PGFERRY_OUTBOUND_ALLOW: 'db.internal:5432,10.0.0.0/8,*.example.com' });
    call = await listenForHttp(t);
  });

  afterAll(async () => {
    await t.close();
    await s3.close();
    await sink.close();
    await smtp.close();
  });

  it('refuses a connection test to 127.0.0.1:5432 with PGF_OUTBOUND_DENIED (403), saved or not', async () => {
    const unsaved = await call('POST', '/api/v1/connections/test', database);
    expect(unsaved.status).toBe(403);
    expect(unsaved.json.error?.code).toBe('PGF_OUTBOUND_DENIED');
    expect(unsaved.json.error?.message).toContain('127.0.0.1:5432 is not on the outbound allow-list');
    expect(unsaved.json.error?.message).toContain('PGFERRY_OUTBOUND_ALLOW');

    // Registering opens no connection; testing and browsing it would.
    const saved = await call('POST', '/api/v1/connections', { name: 'local-pg', ...database });
    expect(saved.status).toBe(201);
    const tested = await call('POST', '/api/v1/connections/local-pg/test', {}, 'operator');
    expect(tested.status).toBe(403);
    expect(tested.json.error?.message).toMatch(/^connection "local-pg": 127\.0\.0\.1:5432 is not on the outbound allow-list/);
    expect((await call('GET', '/api/v1/connections/local-pg/schemas')).json.error?.code).toBe('PGF_OUTBOUND_DENIED');
  });

  it('saves a sync job to databases not listed, and its run fails with PGF_OUTBOUND_DENIED', async () => {
    const target = await call('POST', '/api/v1/connections', { name: 'local-target', ...database });
    const source = await call('GET', '/api/v1/connections/local-pg');
    const job = await call('POST', '/api/v1/sync-jobs', { name: 'denied-sync', source_connection_id: source.json.id, destination_connection_id: target.json.id });
    expect(job.status).toBe(201);
    const run = await runJobNow(t.store.db, 'sync', String(job.json.id), { trigger: 'manual' });
    const context = {
      signal: new AbortController().signal,
      progress: () => undefined,
      checkpoint: async () => undefined,
      log: () => undefined,
      db: t.store.db,
      secrets: t.secrets,
      outbound: createOutboundCheck(t.config.PGFERRY_OUTBOUND_ALLOW),
      logger: quietLogger(),
      workerId: 'test',
    };
    await expect(syncExecutor(run, context)).rejects.toMatchObject({ code: 'PGF_OUTBOUND_DENIED', message: expect.stringContaining('connection "local-pg": 127.0.0.1:5432') });
  });

  it('refuses a webhook to a sink that is not listed, and sends nothing', async () => {
    const channel = await call('POST', '/api/v1/notification-channels', { name: 'local-hook', kind: 'webhook', config: { url: `${sink.url}/hook` } });
    expect(channel.status).toBe(201);
    const sent = await call('POST', `/api/v1/notification-channels/${String(channel.json.id)}/test`, undefined, 'operator');
    expect(sent.status).toBe(403);
    expect(sent.json.error?.code).toBe('PGF_OUTBOUND_DENIED');
    expect(sent.json.error?.message).toContain(`webhook channel "local-hook": 127.0.0.1:${new URL(sink.url).port} is not on the outbound allow-list`);

    // The worker's path: a queued delivery fails with the same reason, nothing is sent.
    const delivery = await deliverQueued(t, String(channel.json.id));
    expect(delivery).toMatchObject({ status: 'failed' });
    expect(delivery.last_error).toContain('is not on the outbound allow-list');
    expect(sink.received).toHaveLength(0);
  });

  it('refuses an ntfy server that is not listed, named directly or through a service URL, and sends nothing', async () => {
    const port = new URL(sink.url).port;
    const direct = await call('POST', '/api/v1/notification-channels', { name: 'local-ntfy', kind: 'ntfy', config: { server_url: sink.url, topic: 'alerts' } });
    const viaUrl = await call('POST', '/api/v1/notification-channels', { name: 'local-ntfy-url', kind: 'url', config: { url: `ntfy://127.0.0.1:${port}/alerts` } });
    expect([direct.status, viaUrl.status]).toEqual([201, 201]);
    const sent = await call('POST', `/api/v1/notification-channels/${String(direct.json.id)}/test`, undefined, 'operator');
    expect(sent.status).toBe(403);
    expect(sent.json.error?.code).toBe('PGF_OUTBOUND_DENIED');
    expect(sent.json.error?.message).toContain(`ntfy channel "local-ntfy": 127.0.0.1:${port} is not on the outbound allow-list`);
    const sentViaUrl = await call('POST', `/api/v1/notification-channels/${String(viaUrl.json.id)}/test`, undefined, 'operator');
    expect(sentViaUrl.status).toBe(403);
    expect(sentViaUrl.json.error?.message).toContain(`url channel (ntfy) "local-ntfy-url": 127.0.0.1:${port} is not on the outbound allow-list`);

    const delivery = await deliverQueued(t, String(direct.json.id));
    expect(delivery).toMatchObject({ status: 'failed' });
    expect(delivery.last_error).toContain('is not on the outbound allow-list');
    expect(sink.received).toHaveLength(0);
  });

  it('refuses an SMTP server that is not listed, and opens no connection to it', async () => {
    const channel = await call('POST', '/api/v1/notification-channels', { name: 'local-mail', kind: 'email', config: mailConfig(smtp.port) });
    expect(channel.status).toBe(201);
    const sent = await call('POST', `/api/v1/notification-channels/${String(channel.json.id)}/test`, undefined, 'operator');
    expect(sent.status).toBe(403);
    expect(sent.json.error?.code).toBe('PGF_OUTBOUND_DENIED');
    expect(sent.json.error?.message).toContain(`email channel "local-mail": 127.0.0.1:${smtp.port} is not on the outbound allow-list`);

    // The worker's path: a queued delivery fails with the same reason.
    const delivery = await deliverQueued(t, String(channel.json.id));
    expect(delivery).toMatchObject({ status: 'failed' });
    expect(delivery.last_error).toContain(`127.0.0.1:${smtp.port} is not on the outbound allow-list`);
    // The port answers (the listed case below connects to a port like it): nothing reached it.
    expect(smtp.connections).toBe(0);
  });

  it('refuses an S3 endpoint that is not listed before any request reaches it', async () => {
    const created = await call('POST', '/api/v1/storages', s3Storage(s3, 'denied-bucket'));
    expect(created.status).toBe(201);
    const init = await call('POST', `/api/v1/storages/${String(created.json.id)}/init`);
    expect(init.status).toBe(403);
    expect(init.json.error?.code).toBe('PGF_OUTBOUND_DENIED');
    expect(init.json.error?.message).toContain(`storage "denied-bucket": 127.0.0.1:${s3.port} is not on the outbound allow-list`);
    // Had the request gone out, s3rver would have created the bucket.
    const probe = await fetch(`${s3.endpoint}/denied-bucket`, { method: 'HEAD' });
    expect(probe.status).toBe(404);
  });
});

describe('PGFERRY_OUTBOUND_ALLOW lets listed destinations through', () => {
  let t: TestApp;
  let call: HttpClient;
  let sink: Sink;
  let s3: S3;
  let smtp: Counter;

  beforeAll(async () => {
    sink = await startHttpSink();
    s3 = await startS3Server();
    smtp = await startConnectionCounter();
    // localhost is not listed by name: it passes because its addresses are in listed networks.
    t = await createTestApp({ PGFERRY_OUTBOUND_ALLOW: `127.0.0.0/8:5432,[::1]:5432,127.0.0.1:${new URL(sink.url).port},127.0.0.1:${s3.port},127.0.0.1:${smtp.port}` });
    call = await listenForHttp(t);
  });

  afterAll(async () => {
    await t.close();
    await s3.close();
    await sink.close();
    await smtp.close();
  });

  it('tests a listed database, by address and by a name resolving into a listed network', async () => {
    const byAddress = await call('POST', '/api/v1/connections/test', database);
    expect(byAddress.status).toBe(200);
    expect(byAddress.json).toMatchObject({ ok: true, error: null });
    const byName = await call('POST', '/api/v1/connections/test', { ...database, host: 'localhost' });
    expect(byName.status).toBe(200);
    expect(byName.json).toMatchObject({ ok: true });
    // Another port of the same host stays closed.
    const otherPort = await call('POST', '/api/v1/connections/test', { ...database, port: 5433 });
    expect(otherPort.json.error?.code).toBe('PGF_OUTBOUND_DENIED');
  });

  it('sends to a listed webhook and uses a listed S3 endpoint', async () => {
    const channel = await call('POST', '/api/v1/notification-channels', { name: 'listed-hook', kind: 'webhook', config: { url: `${sink.url}/hook` } });
    const sent = await call('POST', `/api/v1/notification-channels/${String(channel.json.id)}/test`, undefined, 'operator');
    expect(sent.json).toMatchObject({ delivered: true, response_status: 200 });
    expect(sink.received).toHaveLength(1);

    const created = await call('POST', '/api/v1/storages', s3Storage(s3, 'allowed-bucket'));
    const init = await call('POST', `/api/v1/storages/${String(created.json.id)}/init`);
    expect(init).toMatchObject({ status: 200, json: { created: true } });
  });

  it('connects to a listed SMTP server', async () => {
    const channel = await call('POST', '/api/v1/notification-channels', { name: 'listed-mail', kind: 'email', config: mailConfig(smtp.port) });
    const sent = await call('POST', `/api/v1/notification-channels/${String(channel.json.id)}/test`, undefined, 'operator');
    // The counter turns the client away: the message fails, but only after connecting.
    expect(sent.status).toBe(200);
    expect(sent.json).toMatchObject({ delivered: false });
    expect(smtp.connections).toBeGreaterThan(0);
  });
});
