import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import pg from 'pg';
import { describe, expect, it } from 'vitest';

import { EmbeddedPostgres } from '../../src/store/embedded-postgres.js';
import { trackResource } from '../helpers/leak-check.js';
import { startServe } from '../helpers/serve-process.js';

async function query(url: string, text: string): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(text);
  } finally {
    await client.end();
  }
}

describe('embedded PostgreSQL', () => {
  it('keeps data across stop and start of the same data directory', async () => {
    const home = mkdtempSync(path.join(os.tmpdir(), 'pgferry-embedded-'));
    const dataDir = path.join(home, 'pg');

    const first = new EmbeddedPostgres({ dataDir, port: 0 });
    await first.start();
    const releaseFirst = trackResource('embedded server 1', () => first.stop());
    await query(first.connectionString(), 'CREATE TABLE kept (id int PRIMARY KEY, note text)');
    await query(first.connectionString(), "INSERT INTO kept VALUES (1, 'survives restarts')");
    await first.stop();
    releaseFirst();
    expect(existsSync(path.join(dataDir, 'postmaster.pid'))).toBe(false);

    const second = new EmbeddedPostgres({ dataDir, port: 0 });
    await second.start();
    const releaseSecond = trackResource('embedded server 2', () => second.stop());
    try {
      const result = await query(second.connectionString(), 'SELECT note FROM kept');
      expect(result.rows).toEqual([{ note: 'survives restarts' }]);
      expect((await query(second.connectionString(), 'SHOW server_version')).rows[0].server_version).toMatch(/^\d+/);
    } finally {
      await second.stop();
      releaseSecond();
    }
    expect(existsSync(path.join(dataDir, 'postmaster.pid'))).toBe(false);
  });

  it('refuses password-less connections (scram) and listens on loopback only', async () => {
    const home = mkdtempSync(path.join(os.tmpdir(), 'pgferry-embedded-'));
    const server = new EmbeddedPostgres({ dataDir: path.join(home, 'pg'), port: 0 });
    await server.start();
    const release = trackResource('embedded server', () => server.stop());
    try {
      await expect(query(`postgres://postgres:wrong@127.0.0.1:${server.port}/postgres`, 'SELECT 1')).rejects.toThrow(/password authentication failed/);
      const settings = await query(server.connectionString(), "SELECT current_setting('listen_addresses') AS listen");
      expect(settings.rows[0].listen).toBe('127.0.0.1');
    } finally {
      await server.stop();
      release();
    }
  });
});

describe('pgferry serve with no configuration', () => {
  it('starts the embedded store, stops it on SIGTERM and reuses the data on the next start', async () => {
    const home = mkdtempSync(path.join(os.tmpdir(), 'pgferry-serve-'));
    const env = { PGFERRY_HOME: home };

    const first = await startServe(env);
    const docs = await fetch(`${first.url}/docs/`);
    expect(docs.status).toBe(200);
    const ready = (await (await fetch(`${first.url}/ready`)).json()) as { migration: string };
    expect(ready.migration).toMatch(/^\d{4}_/);
    const key = readFileSync(path.join(home, 'secret.key'), 'utf8');
    expect(first.output()).toMatch(/generated an encryption key/);
    expect(await first.stop('SIGTERM')).toBe(0);
    expect(first.output()).toMatch(/embedded PostgreSQL stopped/);
    expect(existsSync(path.join(home, 'pg', 'postmaster.pid'))).toBe(false);

    const second = await startServe(env);
    expect(second.output()).not.toMatch(/initialised|generated an encryption key|store migrated/);
    expect(readFileSync(path.join(home, 'secret.key'), 'utf8')).toBe(key);
    expect(await second.stop('SIGINT')).toBe(0);
    expect(existsSync(path.join(home, 'pg', 'postmaster.pid'))).toBe(false);
  });
});
