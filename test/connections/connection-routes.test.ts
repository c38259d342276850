import { createServer } from 'node:net';

import type { InjectOptions } from 'fastify';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadConnectionTarget } from '../../src/store/connection-repository.js';
import { type TestApp, createTestApp } from '../helpers/test-app.js';
import { createTestDatabase } from '../helpers/test-database.js';

const secret = 'Recognisable-Pa55word-7f3a9c';

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('/api/v1/connections', () => {
  let t: TestApp;
  let target: { name: string; url: string };
  let deadPort: number;
  const bodies: string[] = [];

  /** Every request goes through here so that every response body is checked for the secret. */
  async function call(options: InjectOptions & { as?: 'admin' | 'operator' | 'viewer' | 'anonymous' }) {
    const response = await t.request(options);
    bodies.push(response.body);
    return { status: response.statusCode, body: response.body === '' ? null : (response.json() as Record<string, unknown> & { error?: { code: string; message: string } }) };
  }

  const targetUrl = (password = secret) => {
    const url = new URL(target.url);
    url.password = password;
    return url.toString();
  };
  const countRows = async () => Number((await sql<{ n: string }>`SELECT count(*) AS n FROM pgferry.connections`.execute(t.store.db)).rows[0]?.n);

  beforeAll(async () => {
    t = await createTestApp();
    target = await createTestDatabase({ migrated: false, prefix: 'pgferry_browse' });
    deadPort = await closedPort();
    const client = new pg.Client({ connectionString: target.url });
    await client.connect();
    try {
      await client.query(`
        CREATE SCHEMA sales;
        CREATE TABLE sales.customers (id int PRIMARY KEY, name text NOT NULL);
        CREATE TABLE sales.orders (id int PRIMARY KEY, customer_id int REFERENCES sales.customers (id), note text DEFAULT 'none');
      `);
    } finally {
      await client.end();
    }
  });

  afterAll(async () => {
    await t.close();
  });

  it('creates from a URL, stores the password encrypted and never returns it', async () => {
    const created = await call({ method: 'POST', url: '/api/v1/connections', payload: { name: 'Orders-Prod', url: targetUrl(), protected: true, tags: ['prod'] } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'Orders-Prod', host: '127.0.0.1', port: 5432, database: target.name, user: 'postgres', sslmode: 'prefer', protected: true, has_password: true, tags: ['prod'] });
    expect(created.body).not.toHaveProperty('password');
    const row = await t.store.db.selectFrom('connections').select('password_encrypted').where('name', '=', 'Orders-Prod').executeTakeFirstOrThrow();
    expect(row.password_encrypted).toMatch(new RegExp(`^v1\\.${t.secrets.keyId}\\.`));
    expect(row.password_encrypted).not.toContain(secret);
    const loaded = await loadConnectionTarget(t.store.db, t.secrets, 'orders-prod');
    expect(loaded).toMatchObject({ name: 'Orders-Prod', protected: true, config: { password: secret, database: target.name } });
  });

  it('creates from fields, lists with search and pages, gets by id or name', async () => {
    for (const name of ['staging-a', 'staging-b', 'reports']) {
      const created = await call({ method: 'POST', url: '/api/v1/connections', payload: { name, host: 'db.internal', port: 6432, database: 'app', user: 'etl', sslmode: 'require', connect_timeout: 5 } });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ has_password: false, sslmode: 'require', connect_timeout: 5 });
    }
    const page1 = await call({ method: 'GET', url: '/api/v1/connections?page_size=2', as: 'viewer' });
    expect(page1.body).toMatchObject({ total: 4, page: 1, page_size: 2 });
    expect((page1.body?.items as { name: string }[]).map((item) => item.name)).toEqual(['Orders-Prod', 'reports']);
    const page2 = await call({ method: 'GET', url: '/api/v1/connections?page_size=2&page=2' });
    expect((page2.body?.items as { name: string }[]).map((item) => item.name)).toEqual(['staging-a', 'staging-b']);
    const searched = await call({ method: 'GET', url: '/api/v1/connections?search=STAGING' });
    expect(searched.body).toMatchObject({ total: 2 });
    const literal = await call({ method: 'GET', url: '/api/v1/connections?search=%25' });
    expect(literal.body).toMatchObject({ total: 0 });

    const byName = await call({ method: 'GET', url: '/api/v1/connections/staging-a' });
    const byId = await call({ method: 'GET', url: `/api/v1/connections/${String(byName.body?.id)}` });
    expect(byId.body).toEqual(byName.body);
    const missing = await call({ method: 'GET', url: '/api/v1/connections/nope' });
    expect(missing.status).toBe(404);
    expect(missing.body?.error?.message).toContain('connection "nope" does not exist');
  });

  it('keeps the stored password on a PUT without one, and removes it with null', async () => {
    const updated = await call({ method: 'PUT', url: '/api/v1/connections/Orders-Prod', payload: { name: 'Orders-Prod', url: target.url, description: 'main db', protected: true } });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ has_password: true, description: 'main db' });
    expect((await loadConnectionTarget(t.store.db, t.secrets, 'Orders-Prod')).config.password).toBe(secret);

    const renamed = await call({ method: 'PUT', url: '/api/v1/connections/staging-b', payload: { name: 'staging-c', host: 'db2.internal', database: 'app', user: 'etl', password: 'x-temp' } });
    expect(renamed.body).toMatchObject({ name: 'staging-c', port: 5432, has_password: true });
    const cleared = await call({ method: 'PUT', url: '/api/v1/connections/staging-c', payload: { name: 'staging-c', host: 'db2.internal', database: 'app', user: 'etl', password: null } });
    expect(cleared.body).toMatchObject({ has_password: false });
  });

  it.each([
    ['an invalid URL', { name: 'x1', url: 'mysql://u@h/d' }, 'body.url'],
    ['a URL port out of range', { name: 'x2', url: 'postgres://u@h:70000/d' }, 'body.url port'],
    ['a port out of range', { name: 'x3', host: 'h', port: 70000, database: 'd', user: 'u' }, 'body.port'],
    ['an unknown sslmode', { name: 'x4', host: 'h', database: 'd', user: 'u', sslmode: 'sometimes' }, 'body.sslmode'],
    ['an unknown sslmode in a URL', { name: 'x5', url: 'postgres://u@h/d?sslmode=sometimes' }, 'body.url parameter sslmode'],
    ['an empty name', { name: '  ', host: 'h', database: 'd', user: 'u' }, 'body.name'],
    ['an oversized host', { name: 'x6', host: 'h'.repeat(300), database: 'd', user: 'u' }, 'body.host'],
    ['an oversized description', { name: 'x7', host: 'h', database: 'd', user: 'u', description: 'd'.repeat(2001) }, 'body.description'],
    ['an unknown field', { name: 'x8', host: 'h', database: 'd', user: 'u', passwd: secret }, 'passwd'],
    ['a missing host', { name: 'x9', database: 'd', user: 'u' }, 'body.host'],
    ['a URL and fields at once', { name: 'x10', url: 'postgres://u@h/d', port: 5433 }, 'body.port'],
  ])('refuses %s with 400 naming the field, storing nothing', async (_label, payload, field) => {
    const before = await countRows();
    const response = await call({ method: 'POST', url: '/api/v1/connections', payload });
    expect(response.status).toBe(400);
    expect(response.body?.error?.code).toBe('PGF_VALIDATION_FAILED');
    expect(response.body?.error?.message).toContain(field);
    expect(await countRows()).toBe(before);
  });

  it('refuses a duplicate name (any case) with 409, on create and on rename', async () => {
    const before = await countRows();
    const duplicate = await call({ method: 'POST', url: '/api/v1/connections', payload: { name: 'ORDERS-prod', url: targetUrl() } });
    expect(duplicate.status).toBe(409);
    expect(duplicate.body?.error?.message).toContain('name: a connection named "ORDERS-prod" already exists');
    const rename = await call({ method: 'PUT', url: '/api/v1/connections/reports', payload: { name: 'staging-a', host: 'h', database: 'd', user: 'u' } });
    expect(rename.status).toBe(409);
    expect(await countRows()).toBe(before);
    expect((await call({ method: 'GET', url: '/api/v1/connections/reports' })).body).toMatchObject({ host: 'db.internal' });
  });

  it('tests an unsaved connection, reporting version, latency and privileges', async () => {
    const ok = await call({ method: 'POST', url: '/api/v1/connections/test', payload: { url: targetUrl(), schemas: ['sales'], as: 'destination' } });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ ok: true, error: null, target: `postgres@127.0.0.1:5432/${target.name}`, destination: { ok: true } });
    expect(ok.body?.server_version_num).toBeGreaterThan(100000);

    const refused = await call({ method: 'POST', url: '/api/v1/connections/test', payload: { host: '127.0.0.1', port: deadPort, database: 'd', user: 'u', password: secret } });
    expect(refused.status).toBe(200);
    expect(refused.body).toMatchObject({ ok: false, error: { code: 'PGF_CONNECTION_REFUSED' } });
    expect(refused.body?.error?.message).toContain(`u@127.0.0.1:${deadPort}/d`);

    const bad = await call({ method: 'POST', url: '/api/v1/connections/test', payload: { url: targetUrl(), timeout_ms: 5 } });
    expect(bad.status).toBe(400);
    expect(bad.body?.error?.message).toContain('body.timeout_ms');
  });

  it('tests a saved connection', async () => {
    const ok = await call({ method: 'POST', url: '/api/v1/connections/Orders-Prod/test', payload: {}, as: 'operator' });
    expect(ok.body).toMatchObject({ ok: true, source: { ok: true } });
    const noBody = await call({ method: 'POST', url: '/api/v1/connections/Orders-Prod/test' });
    expect(noBody.body).toMatchObject({ ok: true });
    const created = await call({ method: 'POST', url: '/api/v1/connections', payload: { name: 'dead', host: '127.0.0.1', port: deadPort, database: 'd', user: 'u', password: secret } });
    expect(created.status).toBe(201);
    const dead = await call({ method: 'POST', url: '/api/v1/connections/dead/test', payload: {} });
    expect(dead.body).toMatchObject({ ok: false, error: { code: 'PGF_CONNECTION_REFUSED' } });
  });

  it('browses schemas, tables and a table', async () => {
    const schemas = await call({ method: 'GET', url: '/api/v1/connections/Orders-Prod/schemas', as: 'viewer' });
    expect(schemas.status).toBe(200);
    expect((schemas.body?.items as { name: string }[]).map((schema) => schema.name)).toEqual(['public', 'sales']);

    const tables = await call({ method: 'GET', url: '/api/v1/connections/Orders-Prod/tables?schema=sales' });
    expect((tables.body?.items as { name: string; has_primary_key: boolean }[]).map((table) => [table.name, table.has_primary_key])).toEqual([
      ['customers', true],
      ['orders', true],
    ]);
    const publicTables = await call({ method: 'GET', url: '/api/v1/connections/Orders-Prod/tables' });
    expect(publicTables.body).toEqual({ items: [] });

    const detail = await call({ method: 'GET', url: '/api/v1/connections/Orders-Prod/tables/sales/orders' });
    expect(detail.status).toBe(200);
    expect(detail.body).toMatchObject({
      table: { name: 'orders', primary_key: ['id'] },
      columns: [{ name: 'id', data_type: 'integer', nullable: false }, { name: 'customer_id', nullable: true }, { name: 'note', default: "'none'::text" }],
      foreign_keys: [{ columns: ['customer_id'], referenced_table: 'customers', referenced_columns: ['id'] }],
    });
    const noTable = await call({ method: 'GET', url: '/api/v1/connections/Orders-Prod/tables/sales/nope' });
    expect(noTable.status).toBe(404);
    expect(noTable.body?.error?.message).toContain('"sales"."nope"');
  });

  it('answers a browse of an unreachable connection with a classified 502', async () => {
    const response = await call({ method: 'GET', url: '/api/v1/connections/dead/schemas' });
    expect(response.status).toBe(502);
    expect(response.body?.error).toMatchObject({ code: 'PGF_CONNECTION_REFUSED' });
    expect(response.body?.error?.message).toContain(`u@127.0.0.1:${deadPort}/d`);
  });

  it('refuses to delete a connection that jobs use, naming them; deletes it otherwise', async () => {
    const source = await t.store.db.selectFrom('connections').select('id').where('name', '=', 'Orders-Prod').executeTakeFirstOrThrow();
    const destination = await t.store.db.selectFrom('connections').select('id').where('name', '=', 'reports').executeTakeFirstOrThrow();
    await t.store.db.insertInto('sync_jobs').values({ name: 'nightly-copy', source_connection_id: source.id, destination_connection_id: destination.id }).execute();
    await t.store.db.insertInto('backup_jobs').values({ name: 'orders-backup', connection_id: source.id }).execute();

    const refused = await call({ method: 'DELETE', url: '/api/v1/connections/Orders-Prod' });
    expect(refused.status).toBe(409);
    expect(refused.body?.error?.message).toContain('sync job "nightly-copy"');
    expect(refused.body?.error?.message).toContain('backup job "orders-backup"');
    const refusedDestination = await call({ method: 'DELETE', url: '/api/v1/connections/reports' });
    expect(refusedDestination.status).toBe(409);
    expect(refusedDestination.body?.error?.message).toContain('sync job "nightly-copy"');

    const deleted = await call({ method: 'DELETE', url: '/api/v1/connections/staging-a' });
    expect(deleted.status).toBe(204);
    expect((await call({ method: 'GET', url: '/api/v1/connections/staging-a' })).status).toBe(404);
    expect((await call({ method: 'DELETE', url: '/api/v1/connections/staging-a' })).status).toBe(404);
  });

  it('documents every connection route in the OpenAPI document', async () => {
    const doc = await call({ method: 'GET', url: '/api/v1/openapi.json' });
    const paths = Object.keys((doc.body as { paths: Record<string, unknown> }).paths);
    for (const route of [
      '/api/v1/connections',
      '/api/v1/connections/test',
      '/api/v1/connections/{id}',
      '/api/v1/connections/{id}/test',
      '/api/v1/connections/{id}/schemas',
      '/api/v1/connections/{id}/tables',
      '/api/v1/connections/{id}/tables/{schema}/{table}',
    ]) {
      expect(paths).toContain(route);
    }
  });

  it('never lets the password reach a response, a log line or the audit log', async () => {
    expect(bodies.length).toBeGreaterThan(40);
    for (const body of bodies) expect(body).not.toContain(secret);
    expect(t.logs.length).toBeGreaterThan(0);
    for (const line of t.logs) expect(line).not.toContain(secret);
    const audit = await sql<{ row: string }>`SELECT row_to_json(a)::text AS row FROM pgferry.audit_log a`.execute(t.store.db);
    for (const row of audit.rows) expect(row.row).not.toContain(secret);
  });
});
