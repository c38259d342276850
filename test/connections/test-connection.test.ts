import { randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { chown, rm, stat, writeFile } from 'node:fs/promises';
import { type Server, type Socket, createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { connectionConfigFromUrl } from '../../src/engine/connection-config.js';
import { connectTarget } from '../../src/engine/connection-test/connect-target.js';
import { testConnection } from '../../src/engine/connection-test/test-connection.js';
import { EmbeddedPostgres } from '../../src/store/embedded-postgres.js';
import { trackResource } from '../helpers/leak-check.js';
import { adminQuery, createTestDatabase } from '../helpers/test-database.js';

/** A TCP server that accepts and never answers: what a black-holing proxy looks like. */
async function silentServer(): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const close = async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return { port, close };
}

/** A port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const suffix = randomBytes(3).toString('hex');
const readerRole = `pgferry_reader_${suffix}`;
const limitedRole = `pgferry_nolimit_${suffix}`;

describe('testConnection against the local server', () => {
  let database: { name: string; url: string };

  beforeAll(async () => {
    database = await createTestDatabase({ migrated: false, prefix: 'pgferry_conntest' });
    await adminQuery(`CREATE ROLE ${readerRole} LOGIN`);
    await adminQuery(`CREATE ROLE ${limitedRole} LOGIN CONNECTION LIMIT 0`);
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      await client.query(`
        CREATE SCHEMA sales;
        CREATE TABLE sales.orders (id int PRIMARY KEY);
        CREATE TABLE sales.secret_notes (id int PRIMARY KEY);
        CREATE SEQUENCE sales.invoice_no;
        CREATE SCHEMA locked;
        GRANT USAGE ON SCHEMA sales TO ${readerRole};
        GRANT SELECT ON sales.orders TO ${readerRole};
        REVOKE CREATE ON SCHEMA public FROM PUBLIC;
        REVOKE TEMPORARY ON DATABASE ${database.name} FROM PUBLIC;
      `);
    } finally {
      await client.end();
    }
  });

  afterAll(async () => {
    // Roles are cluster-wide: remove their grants in the test database, then the roles.
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      await client.query(`DROP OWNED BY ${readerRole}, ${limitedRole}`);
    } finally {
      await client.end();
    }
    await adminQuery(`DROP ROLE IF EXISTS ${readerRole}`);
    await adminQuery(`DROP ROLE IF EXISTS ${limitedRole}`);
  });

  it('reports version, latency, size and full privileges for an owner', async () => {
    const result = await testConnection(connectionConfigFromUrl(database.url), { schemas: ['sales'] });
    expect(result.error).toBeNull();
    expect(result.ok).toBe(true);
    expect(result.target).toBe(`postgres@127.0.0.1:5432/${database.name}`);
    expect(result.server_version_num).toBeGreaterThanOrEqual(120000);
    expect(result.server_version).toMatch(/^\d+/);
    expect(result.latency_ms).toBeGreaterThanOrEqual(0);
    expect(result.database_size_bytes).toBeGreaterThan(1_000_000);
    expect(result.is_superuser).toBe(true);
    expect(result.source).toMatchObject({ ok: true, missing: [] });
    expect(result.source?.schemas[0]).toMatchObject({ schema: 'sales', exists: true, usage: true, tables: 2 });
    expect(result.destination).toMatchObject({ ok: true, can_create_schema: true, can_create_temp: true });
  });

  it('says exactly what a read-only role lacks as source and as destination', async () => {
    const config = { ...connectionConfigFromUrl(database.url), user: readerRole };
    const result = await testConnection(config, { schemas: ['sales', 'locked', 'absent'] });
    expect(result.error).toBeNull();
    expect(result.ok).toBe(true); // reachable; no role was required
    expect(result.is_superuser).toBe(false);
    const source = result.source;
    expect(source?.ok).toBe(false);
    expect(source?.missing).toEqual([
      'schema absent does not exist',
      `USAGE on schema locked (GRANT USAGE ON SCHEMA locked TO ${readerRole})`,
      `SELECT on 1 table(s) in sales: secret_notes (GRANT SELECT ON ALL TABLES IN SCHEMA sales TO ${readerRole})`,
      `SELECT on 1 sequence(s) in sales: invoice_no (GRANT SELECT ON ALL SEQUENCES IN SCHEMA sales TO ${readerRole})`,
    ]);
    const destination = result.destination;
    expect(destination?.ok).toBe(false);
    expect(destination?.can_create_temp).toBe(false);
    expect(destination?.missing.join('\n')).toContain(`TEMPORARY on database ${database.name}`);
    expect(destination?.missing.join('\n')).toContain('CREATE on schema sales');
    expect(destination?.missing.join('\n')).toContain('INSERT, UPDATE, DELETE or TRUNCATE on 2 table(s) in sales: orders, secret_notes');
    expect(destination?.missing.join('\n')).toContain('schema absent does not exist and the role may not create it');

    const asSource = await testConnection(config, { schemas: ['sales'], as: 'source' });
    expect(asSource.ok).toBe(false);
  });

  it('classifies a missing database', async () => {
    const result = await testConnection(connectionConfigFromUrl(`postgres://postgres@127.0.0.1:5432/pgferry_no_such_db_${suffix}`));
    expect(result.ok).toBe(false);
    expect(result.error).toMatchObject({ code: 'PGF_CONNECTION_DATABASE_NOT_FOUND' });
    expect(result.error?.message).toContain(`postgres@127.0.0.1:5432/pgferry_no_such_db_${suffix}`);
    expect(result.server_version).toBeNull();
  });

  it('classifies a role without connection slots', async () => {
    const result = await testConnection(connectionConfigFromUrl(`postgres://${limitedRole}@127.0.0.1:5432/${database.name}`));
    expect(result.error).toMatchObject({ code: 'PGF_CONNECTION_TOO_MANY' });
  });

  it('classifies a role without CONNECT on the database', async () => {
    const locked = await createTestDatabase({ migrated: false, prefix: 'pgferry_noconnect' });
    await adminQuery(`REVOKE CONNECT ON DATABASE ${locked.name} FROM PUBLIC`);
    const result = await testConnection(connectionConfigFromUrl(`postgres://${readerRole}@127.0.0.1:5432/${locked.name}`));
    expect(result.error).toMatchObject({ code: 'PGF_CONNECTION_PRIVILEGE' });
    expect(result.error?.message).toContain(`GRANT CONNECT ON DATABASE "${locked.name}" TO "${readerRole}"`);
  });

  it('classifies SSL refused by a server without SSL', async () => {
    const ssl = await adminQuery('SHOW ssl');
    if (ssl.rows[0]?.ssl === 'on') return; // this server speaks SSL; nothing to refuse
    const result = await testConnection(connectionConfigFromUrl(`${database.url}?sslmode=require`));
    expect(result.error).toMatchObject({ code: 'PGF_CONNECTION_SSL_REFUSED' });
  });

  it('classifies a refused port', async () => {
    const port = await closedPort();
    const result = await testConnection(connectionConfigFromUrl(`postgres://u@127.0.0.1:${port}/d`));
    expect(result.error).toMatchObject({ code: 'PGF_CONNECTION_REFUSED' });
    expect(result.error?.message).toContain(`u@127.0.0.1:${port}/d`);
  });

  it('gives up on a silent server within the bound and says so', async () => {
    const server = await silentServer();
    const release = trackResource('silent server', server.close);
    try {
      const result = await testConnection(connectionConfigFromUrl(`postgres://u@127.0.0.1:${server.port}/d`), { timeoutMs: 300 });
      expect(result.error).toMatchObject({ code: 'PGF_CONNECTION_TIMEOUT' });
      expect(result.error?.message).toContain('connect_timeout');
    } finally {
      release();
      await server.close();
    }
  });

  it('classifies a host name that does not resolve', async () => {
    const result = await testConnection(connectionConfigFromUrl('postgres://u@pgferry-no-such-host.invalid:5432/d'), { timeoutMs: 5000 });
    expect(['PGF_CONNECTION_HOST_NOT_FOUND', 'PGF_CONNECTION_TIMEOUT']).toContain(result.error?.code);
  });

  it('stops connecting when aborted', async () => {
    const server = await silentServer();
    const release = trackResource('silent server', server.close);
    try {
      const controller = new AbortController();
      const pending = connectTarget(connectionConfigFromUrl(`postgres://u@127.0.0.1:${server.port}/d`), { timeoutMs: 30_000, signal: controller.signal });
      controller.abort();
      await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    } finally {
      release();
      await server.close();
    }
  });
});

describe('testConnection against a server that checks passwords', () => {
  let server: EmbeddedPostgres | undefined;
  let release = () => undefined as unknown;
  const home = path.join(os.tmpdir(), `pgferry-auth-test-${process.pid}-${suffix}`);

  beforeAll(async () => {
    server = new EmbeddedPostgres({ dataDir: path.join(home, 'pg'), port: 0 });
    await server.start();
    release = trackResource('embedded postgres (auth tests)', async () => {
      await server?.stop('immediate');
    });
  }, 120_000);

  afterAll(async () => {
    release();
    await server?.stop();
    await rm(home, { recursive: true, force: true });
  });

  it('connects with the right password', async () => {
    const result = await testConnection(connectionConfigFromUrl((server as EmbeddedPostgres).connectionString('postgres')));
    expect(result.error).toBeNull();
    expect(result.server_version_num).toBeGreaterThanOrEqual(170000);
  });

  it('classifies a wrong password and never shows it', async () => {
    const wrong = `wrong-${randomBytes(6).toString('hex')}`;
    const url = new URL((server as EmbeddedPostgres).connectionString('postgres'));
    url.password = wrong;
    const result = await testConnection(connectionConfigFromUrl(url.toString()));
    expect(result.error).toMatchObject({ code: 'PGF_CONNECTION_AUTH_FAILED' });
    expect(result.error?.message).toContain(`postgres@127.0.0.1:${url.port}/postgres`);
    expect(result.error?.message).toContain('password authentication failed');
    expect(JSON.stringify(result)).not.toContain(wrong);
  });

  it('with SSL enforced: classifies "SSL required", connects with require, refuses an unverifiable certificate', async () => {
    const embedded = server as EmbeddedPostgres;
    const owner = await stat(embedded.dataDir);
    const cert = path.join(embedded.dataDir, 'server.crt');
    const key = path.join(embedded.dataDir, 'server.key');
    try {
      await promisify(execFile)('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=pgferry-test', '-keyout', key, '-out', cert]);
    } catch {
      return; // no openssl on this machine: nothing to enforce SSL with
    }
    for (const file of [cert, key]) await chown(file, owner.uid, owner.gid);
    await writeFile(path.join(embedded.dataDir, 'postgresql.conf'), "\nssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\n", { flag: 'a' });
    await writeFile(path.join(embedded.dataDir, 'pg_hba.conf'), 'hostssl all all 127.0.0.1/32 scram-sha-256\nhostssl all all ::1/128 scram-sha-256\n');
    await embedded.stop();
    await embedded.start();

    const url = embedded.connectionString('postgres');
    const plain = await testConnection(connectionConfigFromUrl(`${url}?sslmode=disable`));
    expect(plain.error).toMatchObject({ code: 'PGF_CONNECTION_SSL_REQUIRED' });
    expect(plain.error?.message).toContain('sslmode=require');

    const encrypted = await testConnection(connectionConfigFromUrl(`${url}?sslmode=require`));
    expect(encrypted.error).toBeNull();
    expect(encrypted.ok).toBe(true);

    const verified = await testConnection(connectionConfigFromUrl(`${url}?sslmode=verify-full`));
    expect(verified.error).toMatchObject({ code: 'PGF_CONNECTION_SSL_REFUSED' });
    expect(verified.error?.message).toContain('certificate');
  });

  it('classifies a missing password', async () => {
    const url = new URL((server as EmbeddedPostgres).connectionString('postgres'));
    url.password = '';
    url.searchParams.set('sslmode', 'require'); // the previous test left the server SSL-only
    const result = await testConnection(connectionConfigFromUrl(url.toString()));
    expect(result.error).toMatchObject({ code: 'PGF_CONNECTION_AUTH_FAILED', message: expect.stringContaining('none is set') });
  });
});
