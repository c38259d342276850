import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { verifyArchive } from '../../src/engine/archive/verify-archive.js';
import { listPgTools } from '../../src/engine/backup/pg-tools.js';
import { runBackup } from '../../src/engine/backup/run-backup.js';
import { runRestore } from '../../src/engine/restore/run-restore.js';
import { LocalStorage } from '../../src/engine/storage/local-storage.js';
import { adminQuery } from '../helpers/test-database.js';
import { configOf, fingerprint, fixturesDir, loadSql, northwind, scratchName } from './backup-fixtures.js';
import { createTestDatabase } from '../helpers/test-database.js';
import { testSigningKey, testTrust } from '../helpers/archive-trust.js';

const run = promisify(execFile);
let dir: string;
let source: { name: string; url: string };
// One fixture by default (fast); PGFERRY_TEST_ALL_FIXTURES=1 round-trips all four.
const fixtures = process.env.PGFERRY_TEST_ALL_FIXTURES === '1' ? ['hadoop_fault', 'manufacturing', 'customer_service', 'plm'] : ['manufacturing'];
const schemas = [...fixtures, 'public'];
let expected: Record<string, unknown>;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'pgferry-native-'));
  source = await createTestDatabase({ migrated: false, prefix: 'pgferry_bksrc' });
  for (const fixture of fixtures) await loadSql(source.url, path.join(fixturesDir, `${fixture}.sql`));
  await loadSql(source.url, northwind, false);
  // A table with a user-defined type stays text COPY (binary forms are promised for built-ins only).
  const client = new pg.Client({ connectionString: source.url });
  await client.connect();
  await client.query(`CREATE TYPE public.mood AS ENUM ('calm', 'tense'); CREATE TABLE public.moods (id int PRIMARY KEY, m public.mood, note text);
    INSERT INTO public.moods SELECT g, (ARRAY['calm','tense'])[1 + g % 2]::public.mood, 'n' || g FROM generate_series(1, 500) g`);
  await client.end();
  expected = await fingerprint(source.url, schemas);
}, 120_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('native backup and restore', () => {
  let archivePath: string;

  it('backs up from one snapshot with a manifest, and restores into a new database equivalently', async () => {
    const storage = new LocalStorage(dir);
    const events: string[] = [];
    const result = await runBackup(
      { signingKey: testSigningKey, source: configOf(source.url), storage, jobs: 2, compression: 'gzip', checksums: true },
      { onEvent: (event) => events.push(event.type) },
    );
    expect(result.archives).toHaveLength(1);
    const archive = result.archives[0]!;
    archivePath = archive.path;
    const manifest = archive.manifest;
    expect(manifest.format).toBe('native');
    expect(manifest.tables.find((t) => t.schema === 'manufacturing' && t.name === 'inspection_records')?.rows).toBe(40_000);
    expect(manifest.files.every((file) => /^[0-9a-f]{64}$/.test(file.sha256))).toBe(true);
    // Tables of built-in types travel as binary COPY (this server is UTF8); others as text.
    expect(manifest.source.encoding).toBe('UTF8');
    expect(manifest.tables.find((t) => t.name === 'categories')?.format).toBe('binary');
    expect(manifest.tables.find((t) => t.name === 'inspection_records')?.format).toBe('binary');
    expect(manifest.tables.find((t) => t.name === 'moods')?.format).toBe('text');
    expect(events).toContain('table:done');

    const target = scratchName();
    const restored = await runRestore({ trust: testTrust, archive: { storage, path: archive.path }, target: configOf(target.url), create: true, jobs: 2 });
    expect(restored.rows).toBe(manifest.tables.reduce((sum, t) => sum + t.rows, 0));
    expect(await fingerprint(target.url, schemas)).toEqual(expected);
  });

  it('restore.sh restores the same with psql alone', async () => {
    const target = scratchName();
    await adminQuery(`CREATE DATABASE ${target.name}`);
    await run('sh', [path.join(dir, archivePath, 'restore.sh'), target.url], { maxBuffer: 16 * 1024 * 1024 });
    expect(await fingerprint(target.url, schemas)).toEqual(expected);
  });

  it('refuses to load binary COPY files into a database of another encoding, before writing anything', async () => {
    const target = scratchName();
    await adminQuery(`CREATE DATABASE ${target.name} TEMPLATE template0 ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C'`);
    const storage = new LocalStorage(dir);
    await expect(runRestore({ trust: testTrust, archive: { storage, path: archivePath }, target: configOf(target.url), jobs: 2 })).rejects.toMatchObject({
      code: 'PGF_RESTORE_REFUSED',
      message: expect.stringMatching(/binary COPY format.*UTF8.*uses LATIN1/),
    });
    const client = new pg.Client({ connectionString: target.url });
    await client.connect();
    const tables = await client.query("SELECT count(*)::int AS n FROM pg_class WHERE relnamespace = 'public'::regnamespace");
    await client.end();
    expect(tables.rows[0].n).toBe(0);
    // restore.sh refuses too.
    await expect(run('sh', [path.join(dir, archivePath, 'restore.sh'), target.url])).rejects.toMatchObject({ stderr: expect.stringContaining('needs a UTF8 database') });
  });

  it('round-trips the same database through pg_dump when a fitting pg_dump exists', async (context) => {
    const version = Number((await adminQuery("SELECT current_setting('server_version_num') AS n")).rows[0].n);
    if (!(await listPgTools('pg_dump')).some((tool) => tool.major >= Math.floor(version / 10000))) context.skip(`no pg_dump ≥ ${Math.floor(version / 10000)} installed`);
    const storage = new LocalStorage(dir);
    await runBackup({ signingKey: testSigningKey, source: configOf(source.url), storage, format: 'pg_dump', path: 'dump' });
    const target = scratchName();
    await runRestore({ trust: testTrust, archive: { storage, path: 'dump' }, target: configOf(target.url), create: true, jobs: 2 });
    expect(await fingerprint(target.url, schemas)).toEqual(expected);
  });

  it('refuses a flipped byte in verify and restore, naming the file', async () => {
    const storage = new LocalStorage(dir);
    const ok = await verifyArchive({ storage, path: archivePath }, { trust: testTrust });
    expect(ok.ok).toBe(true);
    const manifest = ok.manifest;
    const victim = manifest.tables.find((t) => t.name === 'anomalies')!.file;
    const file = path.join(dir, archivePath, victim);
    const original = await readFile(file);
    const flipped = Buffer.from(original);
    flipped[Math.floor(flipped.length / 3)]! ^= 0x10;
    await writeFile(file, flipped);
    try {
      const bad = await verifyArchive({ storage, path: archivePath }, { trust: testTrust });
      expect(bad.ok).toBe(false);
      expect(bad.files.filter((f) => !f.ok).map((f) => f.path)).toEqual([victim]);
      const target = scratchName();
      await expect(runRestore({ trust: testTrust, archive: { storage, path: archivePath }, target: configOf(target.url), create: true })).rejects.toMatchObject({
        code: 'PGF_ARCHIVE_CORRUPT',
        message: expect.stringContaining(victim),
      });
      // Refused before writing: the target database was never created.
      expect((await adminQuery('SELECT 1 FROM pg_database WHERE datname = $1', [target.name])).rowCount).toBe(0);
    } finally {
      await writeFile(file, original);
    }
  });
});
