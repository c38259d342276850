import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { findPgTool } from '../../src/engine/backup/pg-tools.js';
import { cliJson, runCli } from '../helpers/run-cli.js';
import { createTestDatabase, createTestStore } from '../helpers/test-database.js';
import { scratchName } from './backup-fixtures.js';

let dir: string;
let store: Awaited<ReturnType<typeof createTestStore>>;
let source: { name: string; url: string };
let env: Record<string, string>;
// Archives are signed with the encryption key: the store-less commands get one too.
const keyEnv = { PGFERRY_ENCRYPTION_KEY: randomBytes(32).toString('hex') };

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'pgferry-cli-'));
  store = await createTestStore();
  env = { DATABASE_URL: store.url, PGFERRY_ENCRYPTION_KEY: randomBytes(32).toString('hex') };
  source = await createTestDatabase({ migrated: false, prefix: 'pgferry_bkcli' });
  const client = new pg.Client({ connectionString: source.url });
  await client.connect();
  await client.query('CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 300) g;');
  await client.end();
});

afterAll(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

describe('pgferry backup / verify / restore (URLs and directories, no store)', () => {
  it('backs up, verifies, refuses an unconfirmed --clean and restores with --create', async () => {
    const backup = await runCli(['backup', '--from', source.url, '--to', path.join(dir, 'plain'), '--compress', 'zstd', '--json'], keyEnv);
    expect(backup.stderr).toBe('');
    expect(backup.code).toBe(0);
    const summary = cliJson(backup);
    const archive = summary.archives[0].location as string;
    expect(summary.archives[0]).toMatchObject({ tables: 1, rows: 300 });

    const verify = await runCli(['verify', archive, '--json'], keyEnv);
    expect(verify.code).toBe(0);
    expect(cliJson(verify).ok).toBe(true);

    const target = scratchName();
    const refused = await runCli(['restore', archive, '--to', source.url, '--clean'], keyEnv);
    expect(refused.code).toBe(5);
    expect(refused.stderr).toMatch(/add --yes to confirm.*PGF_RESTORE_REFUSED/);
    const restore = await runCli(['restore', archive, '--to', target.url, '--create', '--json'], keyEnv);
    expect(restore.code).toBe(0);
    expect(cliJson(restore)).toMatchObject({ rows: 300, format: 'native' });

    const encrypted = await runCli(['backup', '--from', source.url, '--to', path.join(dir, 'enc'), '--encrypt', '--json'], keyEnv);
    expect(encrypted.code).toBe(2);
    expect(encrypted.stderr).toMatch(/--encrypt needs a secret/);
  });

  it('names the server version and what to install when no pg_dump fits', async () => {
    await expect(findPgTool('pg_dump', 990002)).rejects.toThrow(/server runs PostgreSQL 99 and pg_dump must be version 99 or newer; found only .*install the PostgreSQL 99 client tools/);
  });
});

describe('pgferry storage / backups with a metadata store', () => {
  it('adds a storage, records backups, lists, prunes with retention, refuses rm while backups remain', async () => {
    const root = path.join(dir, 'saved');
    const addArgs = ['storage', 'add', 'Shelf', '--kind', 'local', '--path', root, '--encryption-secret-env', 'SHELF_KEY'];
    // A directory that does not exist is refused at save time, naming it and the way out.
    const refused = await runCli(addArgs, { ...env, SHELF_KEY: 'shelf-secret' });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(root);
    expect(refused.stderr).toMatch(/--create.*PGF_STORAGE_PATH_MISSING/);
    expect((await runCli(['storage', 'list'], env)).stdout).not.toContain('Shelf');
    const add = await runCli([...addArgs, '--create'], { ...env, SHELF_KEY: 'shelf-secret' });
    expect(add.stderr).toBe('');
    expect(add.code).toBe(0);
    expect((await stat(root)).mode & 0o777).toBe(0o700);
    // A directory that goes away later: the test says so, init makes it again.
    await rm(root, { recursive: true });
    expect((await runCli(['storage', 'test', 'Shelf'], env)).code).not.toBe(0);
    expect((await runCli(['storage', 'init', 'Shelf'], env)).stdout).toMatch(/created/);
    const test = await runCli(['storage', 'test', 'Shelf', '--json'], env);
    expect(cliJson(test)).toMatchObject({ ok: true, wrote: true });
    const listed = await runCli(['storage', 'list'], env);
    expect(listed.stdout).toMatch(/Shelf\tlocal\t.*\(encryption secret set\)/);
    expect(listed.stdout).not.toContain('shelf-secret');

    for (const name of ['first', 'second']) {
      // --encrypt takes the storage's secret.
      const run = await runCli(['backup', '--from', source.url, '--to', 'Shelf', '--name', name, '--encrypt', '--json'], env);
      expect(run.stderr).toBe('');
      expect(cliJson(run).archives[0].backup_id).toMatch(/^[0-9a-f-]{36}$/);
    }
    const list = cliJson(await runCli(['backups', 'list', '--storage', 'Shelf', '--json'], env));
    expect(list.items.map((item: { location: string }) => item.location)).toEqual(['second', 'first']);

    const verify = await runCli(['verify', list.items[1].id], env);
    expect(verify.code).toBe(0);
    const drillServer = source.url;
    const drill = await runCli(['drill', 'Shelf:first', '--on', drillServer, '--json'], env);
    expect(drill.stderr).not.toMatch(/error/i);
    expect(cliJson(drill)).toMatchObject({ ok: true, backup_id: list.items[1].id });

    // keep-last 1 would expire "first", but it is the newest verified (drill passed) backup.
    const dry = cliJson(await runCli(['backups', 'prune', '--storage', 'Shelf', '--keep-last', '1', '--dry-run', '--json'], env));
    expect(dry.expire).toEqual([]);
    expect(dry.keep.find((item: { location: string }) => item.location === 'first').reasons).toContain('newest verified backup');
    const verifySecond = await runCli(['verify', list.items[0].id], env);
    expect(verifySecond.code).toBe(0);
    const planned = cliJson(await runCli(['backups', 'prune', '--storage', 'Shelf', '--keep-last', '1', '--dry-run', '--json'], env));
    expect(planned.expire.map((item: { location: string }) => item.location)).toEqual(['first']);
    expect((await readdir(root)).sort()).toEqual(['first', 'second']);
    const pruned = cliJson(await runCli(['backups', 'prune', '--storage', 'Shelf', '--keep-last', '1', '--json'], env));
    expect(pruned.expire[0].deleted_objects).toBeGreaterThan(3);
    expect(await readdir(root)).toEqual(['second']);

    const removed = await runCli(['storage', 'rm', 'Shelf'], env);
    expect(removed.code).toBe(5);
    expect(removed.stderr).toMatch(/holds 1 recorded backup/);
  }, 120_000);

  it('refuses restore --clean on a protected connection', async () => {
    const url = new URL(source.url);
    await store.db
      .insertInto('connections')
      .values({ name: 'prod', host: url.hostname, port: Number(url.port), database: source.name, username: 'postgres', protected: true })
      .execute();
    const archive = path.join(dir, 'plain', (await readdir(path.join(dir, 'plain')))[0]!);
    const refused = await runCli(['restore', archive, '--to', 'prod', '--clean', '--yes'], env);
    expect(refused.code).toBe(5);
    expect(refused.stderr).toMatch(/connection "prod" is protected/);
  });
});
