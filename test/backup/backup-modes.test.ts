import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { runDrill } from '../../src/engine/archive/run-drill.js';
import { runBackup } from '../../src/engine/backup/run-backup.js';
import { listPgTools } from '../../src/engine/backup/pg-tools.js';
import { runRestore } from '../../src/engine/restore/run-restore.js';
import { LocalStorage } from '../../src/engine/storage/local-storage.js';
import { adminQuery, createTestDatabase } from '../helpers/test-database.js';
import { databaseUrl } from '../helpers/test-server.js';
import { serverUrl } from '../helpers/test-database.js';
import { configOf, fingerprint, loadSql, northwind, scratchName } from './backup-fixtures.js';
import { testSigningKey, testTrust } from '../helpers/archive-trust.js';

let dir: string;
let storage: LocalStorage;
let source: { name: string; url: string };
let expected: Record<string, unknown>;
const schemas = ['public'];

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'pgferry-modes-'));
  storage = new LocalStorage(dir);
  source = await createTestDatabase({ migrated: false, prefix: 'pgferry_bknw' });
  await loadSql(source.url, northwind, false);
  expected = await fingerprint(source.url, schemas);
}, 120_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('backup modes', () => {
  it('encrypts with zstd, refuses a wrong key clearly, and drills with checksums', async () => {
    const result = await runBackup({ signingKey: testSigningKey, source: configOf(source.url), storage, compression: 'zstd', encryptionSecret: 'drill-secret', checksums: true, path: 'enc' });
    const manifest = result.archives[0]!.manifest;
    expect(manifest.encryption?.algorithm).toBe('aes-256-gcm-chunked');
    expect(manifest.files.every((file) => file.path.endsWith('.enc') || file.path === 'restore.sh')).toBe(true);
    // Table data never appears in clear text.
    const data = await readFile(path.join(dir, 'enc', manifest.tables[0]!.file));
    expect(data.subarray(0, 8).toString()).toBe('PGFENC01');

    const target = scratchName();
    await expect(runRestore({ trust: testTrust, archive: { storage, path: 'enc' }, target: configOf(target.url), create: true, encryptionSecret: 'nope' })).rejects.toMatchObject({
      code: 'PGF_ARCHIVE_KEY_INVALID',
      message: expect.stringMatching(/wrong key/),
    });
    await expect(runRestore({ trust: testTrust, archive: { storage, path: 'enc' }, target: configOf(target.url), create: true })).rejects.toMatchObject({
      code: 'PGF_ENCRYPTION_KEY_REQUIRED',
    });

    const drill = await runDrill({ trust: testTrust, archive: { storage, path: 'enc' }, server: configOf(serverUrl()), encryptionSecret: 'drill-secret' });
    expect(drill.ok).toBe(true);
    expect(drill.compared).toBe('rows+checksums');
    expect(drill.tables.length).toBe(manifest.tables.length);
    expect((await adminQuery('SELECT 1 FROM pg_database WHERE datname = $1', [drill.scratchDatabase])).rowCount).toBe(0);
  });

  it('round-trips through pg_dump when a fitting pg_dump exists', async (context) => {
    const version = Number((await adminQuery("SELECT current_setting('server_version_num') AS n")).rows[0].n);
    const tools = await listPgTools('pg_dump');
    if (!tools.some((tool) => tool.major >= Math.floor(version / 10000))) {
      context.skip(`no pg_dump ≥ ${Math.floor(version / 10000)} installed`);
    }
    const events: string[] = [];
    const result = await runBackup(
      { signingKey: testSigningKey, source: configOf(source.url), storage, format: 'pg_dump', compression: 'gzip', path: 'dump' },
      { onEvent: (event) => event.type === 'log' && events.push(event.message) },
    );
    expect(result.archives[0]!.manifest.pg_dump?.version).toMatch(/^\d+/);
    expect(events.join('\n')).toMatch(/using .*pg_dump \(PostgreSQL \d+/);
    const target = scratchName();
    await runRestore({ trust: testTrust, archive: { storage, path: 'dump' }, target: configOf(target.url), create: true, jobs: 2 });
    expect(await fingerprint(target.url, schemas)).toEqual(expected);
  });

  it('a restore aborted midway and re-run with clean ends equivalent', async () => {
    await runBackup({ signingKey: testSigningKey, source: configOf(source.url), storage, path: 'plain', jobs: 1 });
    const target = scratchName();
    await adminQuery(`CREATE DATABASE ${target.name}`);
    const controller = new AbortController();
    await expect(
      runRestore(
        { trust: testTrust, archive: { storage, path: 'plain' }, target: configOf(target.url), jobs: 1 },
        { signal: controller.signal, onEvent: (event) => event.type === 'table:done' && controller.abort() },
      ),
    ).rejects.toThrow();
    // Without --clean the half restore is refused rather than mixed in.
    await expect(runRestore({ trust: testTrust, archive: { storage, path: 'plain' }, target: configOf(target.url) })).rejects.toMatchObject({ code: 'PGF_RESTORE_REFUSED' });
    await runRestore({ trust: testTrust, archive: { storage, path: 'plain' }, target: configOf(target.url), clean: true, jobs: 2 });
    expect(await fingerprint(target.url, schemas)).toEqual(expected);
  });

  it('an aborted backup leaves no partial archive behind', async () => {
    const controller = new AbortController();
    await expect(
      runBackup({ signingKey: testSigningKey, source: configOf(source.url), storage, path: 'aborted', jobs: 2 }, { signal: controller.signal, onEvent: (event) => event.type === 'table:done' && controller.abort() }),
    ).rejects.toThrow();
    expect(await storage.list('aborted')).toEqual([]);
  });

  it('backs up every database of the server and the roles (without passwords)', async () => {
    const prefix = `pgferry_alldb_${randomBytes(3).toString('hex')}`;
    const role = `${prefix}_role`;
    const names = ['a', 'b', 'c'].map((suffix) => `${prefix}_${suffix}`);
    await adminQuery(`CREATE ROLE ${role} LOGIN PASSWORD 'do-not-save-me'`);
    try {
      for (const [index, name] of names.entries()) {
        await adminQuery(`CREATE DATABASE ${name}`);
        await adminQuery(`SELECT 1`);
        const url = databaseUrl(serverUrl(), name);
        const { default: pg } = await import('pg');
        const client = new pg.Client({ connectionString: url });
        await client.connect();
        await client.query(`CREATE TABLE t${index} (id int PRIMARY KEY, v text); INSERT INTO t${index} SELECT g, 'v' || g FROM generate_series(1, ${10 * (index + 1)}) g`);
        await client.end();
      }
      const result = await runBackup({ signingKey: testSigningKey, source: configOf(source.url), storage, allDatabases: true, databases: [`${prefix}_*`], globals: true, path: 'server' });
      expect(result.failures).toEqual([]);
      expect(result.archives.map((archive) => archive.database).sort()).toEqual(['(globals)', ...names].sort());
      const rows = result.archives.filter((a) => a.format === 'native').map((a) => a.manifest.tables[0]?.rows).sort();
      expect(rows).toEqual([10, 20, 30]);
      const globals = await readFile(path.join(dir, 'server/globals/globals.sql'), 'utf8');
      expect(globals).toContain(`CREATE ROLE ${role}`);
      expect(globals).not.toContain('PASSWORD');
      expect(globals).not.toContain('SCRAM');
    } finally {
      for (const name of names) await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await adminQuery(`DROP ROLE IF EXISTS ${role}`);
    }
  });
});
