import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { sealLegacyChannelHeaders } from '../../src/notifications/channel-service.js';
import { type TestApp, createTestApp } from '../helpers/test-app.js';
import { startHttpSink } from './notification-sinks.js';

// Issue 15, item 4: a webhook's custom header values are secrets, like connection passwords.
const headerValue = 's3cret-value';
const otherValue = 'other-Secret-9d2f';

describe('webhook custom headers are secrets', () => {
  let t: TestApp;
  let base: string;
  let sink: Awaited<ReturnType<typeof startHttpSink>>;
  const answers: string[] = [];

  async function call(method: string, path: string, role: 'admin' | 'operator' | 'viewer', body?: unknown) {
    const { token } = await t.credentialsFor(role);
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    answers.push(text);
    return { status: response.status, text, json: (text ? JSON.parse(text) : null) as Record<string, unknown> & { error?: { code: string; message: string } } };
  }

  const storedRow = async (id: string) =>
    (await sql<{ row: string }>`SELECT row_to_json(c)::text AS row FROM pgferry.notification_channels c WHERE id = ${id}`.execute(t.store.db)).rows[0]?.row ?? '';
  const auditText = async () => JSON.stringify(await t.store.db.selectFrom('audit_log').selectAll().execute());

  beforeAll(async () => {
    t = await createTestApp();
    base = await t.app.listen({ port: 0, host: '127.0.0.1' });
    sink = await startHttpSink();
  });

  afterAll(async () => {
    await sink.close();
    await t.close();
  });

  it('seals header values, shows only their names, and still sends them', async () => {
    const created = await call('POST', '/api/v1/notification-channels', 'admin', {
      name: 'hook-with-key',
      kind: 'webhook',
      config: { url: `${sink.url}/hook`, headers: { 'X-Api-Key': headerValue } },
    });
    expect(created.status).toBe(201);
    expect(created.text).not.toContain(headerValue);
    expect(created.json.headers).toEqual([{ name: 'X-Api-Key', value_set: true }]);
    expect(created.json.secrets_set).toEqual(['headers']);
    expect(created.json.config).toEqual({ url: `${sink.url}/hook` });
    const id = String(created.json.id);

    for (const role of ['viewer', 'admin'] as const) {
      const list = await call('GET', '/api/v1/notification-channels', role);
      expect(list.status).toBe(200);
      expect(list.text).toContain('X-Api-Key');
      expect(list.text).not.toContain(headerValue);
      const one = await call('GET', `/api/v1/notification-channels/${id}`, role);
      expect(one.status).toBe(200);
      expect(one.text).not.toContain(headerValue);
    }

    expect(await storedRow(id)).toContain('hook-with-key');
    expect(await storedRow(id)).not.toContain(headerValue);
    const audit = await auditText();
    expect(audit).toContain('X-Api-Key');
    expect(audit).not.toContain(headerValue);

    const sent = await call('POST', `/api/v1/notification-channels/${id}/test`, 'operator');
    expect(sent.json).toMatchObject({ delivered: true, response_status: 200 });
    expect(sink.received.at(-1)?.headers['x-api-key']).toBe(headerValue);
  });

  it('keeps header values on a PATCH that leaves them out, and changes them one by one', async () => {
    const created = await call('POST', '/api/v1/notification-channels', 'admin', {
      name: 'hook-patched',
      kind: 'webhook',
      config: { url: `${sink.url}/patched`, headers: { 'X-Api-Key': headerValue, 'X-Tenant': otherValue } },
    });
    const id = String(created.json.id);

    // What the web UI sends when only the name or URL changes: no headers at all.
    const renamed = await call('PATCH', `/api/v1/notification-channels/${id}`, 'admin', { name: 'hook-renamed', config: { url: `${sink.url}/renamed` } });
    expect(renamed.status).toBe(200);
    expect(renamed.json.headers).toEqual([
      { name: 'X-Api-Key', value_set: true },
      { name: 'X-Tenant', value_set: true },
    ]);
    await call('POST', `/api/v1/notification-channels/${id}/test`, 'operator');
    let request = sink.received.at(-1);
    expect(request?.url).toBe('/renamed');
    expect(request?.headers['x-api-key']).toBe(headerValue);
    expect(request?.headers['x-tenant']).toBe(otherValue);

    // One header removed (null), one added; the one left out keeps its value.
    const changed = await call('PATCH', `/api/v1/notification-channels/${id}`, 'admin', { config: { headers: { 'x-tenant': null, 'X-Region': 'eu-west' } } });
    expect(changed.status).toBe(200);
    expect(changed.json.headers).toEqual([
      { name: 'X-Api-Key', value_set: true },
      { name: 'X-Region', value_set: true },
    ]);
    await call('POST', `/api/v1/notification-channels/${id}/test`, 'operator');
    request = sink.received.at(-1);
    expect(request?.headers['x-api-key']).toBe(headerValue);
    expect(request?.headers['x-region']).toBe('eu-west');
    expect(request?.headers['x-tenant']).toBeUndefined();

    const cleared = await call('PATCH', `/api/v1/notification-channels/${id}`, 'admin', { config: { headers: null } });
    expect(cleared.json).toMatchObject({ headers: [], secrets_set: [] });

    expect(await storedRow(id)).not.toContain(otherValue);
    expect(await auditText()).not.toContain(otherValue);
  });

  it('refuses a header value with a line break without echoing it', async () => {
    const refused = await call('POST', '/api/v1/notification-channels', 'admin', {
      name: 'hook-smuggle',
      kind: 'webhook',
      config: { url: `${sink.url}/x`, headers: { 'X-Api-Key': `${headerValue}\r\nX-Injected: 1` } },
    });
    expect(refused.status).toBe(400);
    expect(refused.json.error?.code).toBe('PGF_VALIDATION_FAILED');
    expect(refused.text).not.toContain(headerValue);
  });

  it('treats headers an older pgferry stored in the clear as secrets, and seals them at start', async () => {
    const row = await t.store.db
      .insertInto('notification_channels')
      .values({ name: 'hook-legacy', kind: 'webhook', config: JSON.stringify({ url: `${sink.url}/legacy`, headers: { 'X-Legacy-Auth': otherValue } }) })
      .returning('id')
      .executeTakeFirstOrThrow();
    const shown = await call('GET', `/api/v1/notification-channels/${row.id}`, 'viewer');
    expect(shown.text).not.toContain(otherValue);
    expect(shown.json.headers).toEqual([{ name: 'X-Legacy-Auth', value_set: true }]);

    expect(await sealLegacyChannelHeaders(t.store.db, t.secrets)).toBe(1);
    expect(await storedRow(row.id)).not.toContain(otherValue);
    expect(await sealLegacyChannelHeaders(t.store.db, t.secrets)).toBe(0);

    await call('POST', `/api/v1/notification-channels/${row.id}/test`, 'operator');
    expect(sink.received.at(-1)?.headers['x-legacy-auth']).toBe(otherValue);
  });

  it('never answered a header value, and never logged one', () => {
    for (const value of [headerValue, otherValue]) {
      expect(answers.join('\n')).not.toContain(value);
      expect(t.logs.join('\n')).not.toContain(value);
    }
  });
});
