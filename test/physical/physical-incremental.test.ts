import { chmod, chown, cp, mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { keepRecordedParents, planPhysicalRetention } from '../../src/engine/backup/physical-retention.js';
import { planRetention } from '../../src/engine/backup/retention-policy.js';
import { runBackup } from '../../src/engine/backup/run-backup.js';
import { verifyBackupChain } from '../../src/engine/physical/backup-chain.js';
import { listPhysicalBackups } from '../../src/engine/physical/list-physical-backups.js';
import { restorePhysicalBackup } from '../../src/engine/physical/restore-physical.js';
import { LocalStorage } from '../../src/engine/storage/local-storage.js';
import { testSigningKey, testTrust } from '../helpers/archive-trust.js';
import { type TestCluster, startCluster } from '../helpers/pg-cluster.js';
import { postgresOwner, startDataDir } from '../helpers/start-data-dir.js';
import { cliJson, runCli } from '../helpers/run-cli.js';
import { withClient } from './physical-fixtures.js';

const tables = ['steady', 'grown', 'shrunk', 'fresh', 'emptied'];

/** count and md5 of every table's ordered rows (null for a table that does not exist). */
async function snapshot(url: string): Promise<Record<string, string | null>> {
  return withClient(url, async (client) => {
    const out: Record<string, string | null> = {};
    for (const name of [...tables, 'dropped']) {
      const exists = await client.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [`public.${name}`]);
      if (!exists.rows[0]?.t) {
        out[name] = null;
        continue;
      }
      const result = await client.query<{ n: string; h: string | null; size: string }>(
        `SELECT count(*) AS n, md5(string_agg(t::text, '|' ORDER BY t.id)) AS h, pg_relation_size('public.${name}') AS size FROM public.${name} t`,
      );
      // The file's length too: a table that shrank (VACUUM truncation) must not keep its old tail.
      out[name] = `${result.rows[0]?.n}:${result.rows[0]?.h ?? ''}:${result.rows[0]?.size}`;
    }
    return out;
  });
}

describe.each([17, 18] as const)('incremental physical backups, PostgreSQL %i', (major) => {
  let cluster: TestCluster;
  let home: string;
  let storage: LocalStorage;
  let db: string;
  const backup = (path: string, incremental?: boolean | string) =>
    runBackup({ source: { connectionString: cluster.url() }, storage, format: 'physical', compression: 'gzip', signingKey: testSigningKey, path, incremental });

  beforeAll(async () => {
    cluster = await startCluster({ major, settings: { summarize_wal: 'on', wal_level: 'replica' } });
    home = await mkdtemp(path.join(os.tmpdir(), `pgferry-incr-${major}-`));
    storage = new LocalStorage(path.join(home, 'storage'));
    db = await cluster.createDatabase('shop');
    await withClient(db, async (client) => {
      await client.query("CREATE TABLE steady (id int PRIMARY KEY, v text); INSERT INTO steady SELECT g, md5(g::text) FROM generate_series(1, 50000) g");
      await client.query("CREATE TABLE grown (id int PRIMARY KEY, v text); INSERT INTO grown SELECT g, md5(g::text) FROM generate_series(1, 1000) g");
      await client.query("CREATE TABLE shrunk (id int PRIMARY KEY, v text) WITH (autovacuum_enabled = off); INSERT INTO shrunk SELECT g, repeat(md5(g::text), 4) FROM generate_series(1, 40000) g");
      await client.query("CREATE TABLE dropped (id int PRIMARY KEY, v text); INSERT INTO dropped SELECT g, md5(g::text) FROM generate_series(1, 5000) g");
      await client.query("CREATE TABLE emptied (id int PRIMARY KEY, v text); INSERT INTO emptied SELECT g, md5(g::text) FROM generate_series(1, 5000) g");
    });
  });

  afterAll(async () => {
    await cluster?.stop();
    if (home) await rm(home, { recursive: true, force: true });
  });

  it('takes a full backup, two incrementals on top, and restores the second with every row as it was', async () => {
    const full = await backup('full');
    const fullSize = full.archives[0]!.sizeBytes;

    let droppedFile = '';
    await withClient(db, async (client) => {
      droppedFile = (await client.query<{ p: string }>("SELECT pg_relation_filepath('dropped') AS p")).rows[0]!.p;
      await client.query('UPDATE steady SET v = v || \'!\' WHERE id % 1000 = 0');
      await client.query("INSERT INTO grown SELECT g, md5(g::text) FROM generate_series(1001, 3000) g");
      await client.query('CREATE TABLE fresh (id int PRIMARY KEY, v text); INSERT INTO fresh SELECT g, md5(g::text) FROM generate_series(1, 2000) g');
      await client.query('DROP TABLE dropped');
      // The tail of the table goes: VACUUM truncates the file, which the WAL summary records.
      await client.query('DELETE FROM shrunk WHERE id > 2000');
      await client.query('VACUUM shrunk');
    });
    const first = await backup('inc1', true);
    const firstManifest = first.archives[0]!.manifest;
    expect(firstManifest.format_version).toBe(5);
    expect(firstManifest.physical!.incremental).toMatchObject({ parent: 'full', parent_name: 'full', parent_start_lsn: full.archives[0]!.manifest.physical!.start_lsn });
    expect(firstManifest.physical!.contents.some((file) => /\/INCREMENTAL\.\d+$/.test(file.path))).toBe(true);
    // A small change: the incremental is a fraction of the full backup.
    expect(first.archives[0]!.sizeBytes).toBeLessThan(fullSize * 0.5);

    await withClient(db, async (client) => {
      await client.query('UPDATE grown SET v = upper(v) WHERE id <= 10');
      await client.query("INSERT INTO fresh SELECT g, md5(g::text) FROM generate_series(2001, 2500) g");
      await client.query('TRUNCATE emptied');
      await client.query("INSERT INTO emptied VALUES (1, 'again')");
      await client.query('DELETE FROM steady WHERE id > 49000');
    });
    const second = await backup('inc2', true);
    expect(second.archives[0]!.manifest.physical!.incremental).toMatchObject({ parent: 'inc1' });
    const expected = await snapshot(db);
    expect(expected.dropped).toBeNull();
    console.log(`PostgreSQL ${major}: full ${fullSize} bytes, incremental 1 ${first.archives[0]!.sizeBytes} bytes, incremental 2 ${second.archives[0]!.sizeBytes} bytes`);
    const withBlocks = firstManifest.physical!.contents.filter((file) => file.path.includes('/INCREMENTAL.') && file.size > 12);
    expect(withBlocks.length).toBeGreaterThan(0);
    console.log(`PostgreSQL ${major}: ${withBlocks.length} INCREMENTAL files with blocks, ${withBlocks.filter((file) => file.size % 8192 === 0).length} with the header padded to a block`);

    const listed = await listPhysicalBackups(storage);
    expect(listed.map((entry) => [entry.path, entry.parent ?? null])).toEqual([['full', null], ['inc1', 'full'], ['inc2', 'inc1']]);
    // Retention: keeping only the newest backup keeps the two it is built on.
    const retention = await planPhysicalRetention(storage, listed, { keepLast: 1 });
    expect(retention.expire).toEqual([]);
    expect(retention.keep.map((decision) => [decision.backup.id, decision.reasons[0]])).toEqual(
      expect.arrayContaining([['inc1', 'parent of kept incremental backup inc2'], ['full', 'parent of kept incremental backup inc1']]),
    );
    // The same for recorded backups (backups prune --storage, a backup job's retention), whose rows know no parents.
    const recorded = planRetention(
      ['full', 'inc1', 'inc2'].map((location, index) => ({ id: location, createdAt: new Date(Date.UTC(2026, 0, 1 + index)), verified: false, location })),
      { keepLast: 1 },
    );
    await keepRecordedParents(storage, recorded, (backup) => backup.location);
    expect(recorded.expire).toEqual([]);
    expect(recorded.keep.map((decision) => decision.backup.id).sort()).toEqual(['full', 'inc1', 'inc2']);
    const chain = await verifyBackupChain({ storage, path: 'inc2' }, { trust: testTrust });
    expect(chain).toMatchObject({ ok: true, links: [{ path: 'full', ok: true }, { path: 'inc1', ok: true }, { path: 'inc2', ok: true }] });

    const toDir = path.join(home, 'restored');
    const restored = await restorePhysicalBackup({ storage, path: 'inc2', toDir, trust: testTrust });
    expect(restored).toMatchObject({ dataDir: toDir, startLsn: second.archives[0]!.manifest.physical!.start_lsn, walIncluded: true });
    // The dropped table's file is not carried forward from the full backup.
    await expect(stat(path.join(toDir, droppedFile))).rejects.toMatchObject({ code: 'ENOENT' });
    const label = await readFile(path.join(toDir, 'backup_label'), 'utf8');
    expect(label).not.toContain('INCREMENTAL FROM');
    const server = await startDataDir(cluster.binaries, toDir, home);
    try {
      expect(await snapshot(server.url('shop', cluster.password))).toEqual(expected);
      // The indexes agree with the tables: the same counts through index scans only.
      await withClient(server.url('shop', cluster.password), async (client) => {
        await client.query('SET enable_seqscan = off; SET enable_bitmapscan = off');
        for (const name of tables) {
          const viaIndex = await client.query<{ n: string }>(`SELECT count(*) AS n FROM public.${name} WHERE id BETWEEN 0 AND 1000000`);
          expect(`${viaIndex.rows[0]!.n}:`).toBe(`${expected[name]!.split(':')[0]}:`);
        }
      });
    } finally {
      await server.stop();
    }
  });

  it('pgferry backup --incremental, verify --deep and restore --to-dir of the chain as subprocesses', async () => {
    const env = { PGFERRY_ENCRYPTION_KEY: 'b'.repeat(64), PGFERRY_BACKUP_KEY: 'cli secret', PGFERRY_HOME: path.join(home, 'cli-home') };
    const target = path.join(home, 'cli-storage');
    const help = await runCli(['backup', '--help'], env);
    expect(help.stdout).toContain('--incremental');
    const full = await runCli(['backup', '--from', cluster.url(), '--to', target, '--format', 'physical', '--compress', 'zstd', '--encrypt', '--name', 'base', '--json'], env);
    expect(full.code, full.stderr).toBe(0);
    await withClient(db, (client) => client.query("INSERT INTO grown SELECT g, 'cli' FROM generate_series(100001, 100100) g"));
    const incremental = await runCli(['backup', '--from', cluster.url(), '--to', target, '--format', 'physical', '--compress', 'zstd', '--encrypt', '--incremental', '--name', 'next', '--json'], env);
    expect(incremental.code, incremental.stderr).toBe(0);
    expect(cliJson(incremental).archives[0].physical).toMatchObject({ incremental_from: 'base' });
    const expected = await snapshot(db);

    const verify = await runCli(['verify', path.join(target, 'next'), '--deep', '--json'], env);
    expect(verify.code, verify.stderr).toBe(0);
    expect(cliJson(verify)).toMatchObject({ ok: true, inside: { ok: true }, chain: { ok: true, links: [{ path: 'base', ok: true }, { path: 'next', ok: true }] } });

    const toDir = path.join(home, 'cli-restored');
    const restored = await runCli(['restore', path.join(target, 'next'), '--to-dir', toDir], env);
    expect(restored.code, restored.stderr).toBe(0);
    const server = await startDataDir(cluster.binaries, toDir, home);
    try {
      expect(await snapshot(server.url('shop', cluster.password))).toEqual(expected);
    } finally {
      await server.stop();
    }

    await rm(path.join(target, 'base'), { recursive: true });
    const broken = await runCli(['verify', path.join(target, 'next')], env);
    expect(broken.code).not.toBe(0);
    expect(broken.stderr).toContain('PGF_BACKUP_CHAIN_BROKEN');
    expect(broken.stderr).toContain('on top of base');
  });

  it('applies an incremental to a tablespace, through its link, where the tablespace is mapped', async () => {
    const owner = await postgresOwner();
    const spaceDir = path.join(home, 'space');
    await mkdir(spaceDir);
    if (owner) {
      await chown(spaceDir, owner.uid, owner.gid);
      await chmod(home, 0o711);
    }
    const placed = async (url: string) =>
      withClient(url, async (client) => (await client.query<{ h: string }>("SELECT count(*) || ':' || md5(string_agg(p::text, '|' ORDER BY id)) || ':' || pg_relation_size('public.placed') AS h FROM public.placed p")).rows[0]?.h);
    const spaces = new LocalStorage(path.join(home, 'spaces'));
    const take = (name: string, incremental?: boolean) =>
      runBackup({ source: { connectionString: cluster.url() }, storage: spaces, format: 'physical', compression: 'gzip', signingKey: testSigningKey, path: name, incremental });
    try {
      await withClient(db, async (client) => {
        await client.query(`CREATE TABLESPACE extra LOCATION '${spaceDir}'`);
        await client.query("CREATE TABLE placed (id int PRIMARY KEY, note text) WITH (autovacuum_enabled = off) TABLESPACE extra");
        await client.query('CREATE TABLE placed_gone (id int) TABLESPACE extra');
        await client.query("INSERT INTO placed SELECT g, md5(g::text) FROM generate_series(1, 20000) g");
      });
      await take('ts-full');
      await withClient(db, async (client) => {
        await client.query("UPDATE placed SET note = 'changed' WHERE id % 500 = 0");
        await client.query('DELETE FROM placed WHERE id > 15000');
        await client.query('VACUUM placed');
        await client.query('DROP TABLE placed_gone');
      });
      const incremental = await take('ts-inc', true);
      const extra = incremental.archives[0]!.manifest.physical!.archives.find((archive) => archive.tablespace_oid !== null)!;
      expect(incremental.archives[0]!.manifest.physical!.contents.some((file) => file.path.startsWith(`pg_tblspc/${extra.tablespace_oid}/`) && file.path.includes('/INCREMENTAL.'))).toBe(true);
      const expected = await placed(db);
      const newSpace = path.join(home, 'space-restored');
      const toDir = path.join(home, 'ts-restored');
      const restored = await restorePhysicalBackup({ storage: spaces, path: 'ts-inc', toDir, trust: testTrust, tablespaceMap: { [spaceDir]: newSpace } });
      expect(restored.tablespaces).toEqual([{ oid: extra.tablespace_oid, dir: newSpace }]);
      const server = await startDataDir(cluster.binaries, toDir, home);
      try {
        expect(await placed(server.url('shop', cluster.password))).toBe(expected);
        await withClient(server.url('shop', cluster.password), async (client) => {
          expect((await client.query("SELECT to_regclass('public.placed_gone') AS t")).rows[0].t).toBeNull();
        });
      } finally {
        await server.stop();
      }
    } finally {
      await withClient(db, async (client) => {
        await client.query('DROP TABLE IF EXISTS placed');
        await client.query('DROP TABLE IF EXISTS placed_gone');
      });
      await withClient(db, (client) => client.query('DROP TABLESPACE IF EXISTS extra'));
    }
  });

  it('names the missing parent in verify and restore', async () => {
    const partial = path.join(home, 'partial');
    await cp(path.join(home, 'storage', 'inc1'), path.join(partial, 'inc1'), { recursive: true });
    await cp(path.join(home, 'storage', 'inc2'), path.join(partial, 'inc2'), { recursive: true });
    const cut = new LocalStorage(partial);
    const chain = await verifyBackupChain({ storage: cut, path: 'inc2' }, { trust: testTrust });
    expect(chain.ok).toBe(false);
    expect(chain.error).toMatchObject({ code: 'PGF_BACKUP_CHAIN_BROKEN', message: expect.stringContaining('on top of full') });
    await expect(restorePhysicalBackup({ storage: cut, path: 'inc2', toDir: path.join(home, 'never'), trust: testTrust })).rejects.toMatchObject({
      code: 'PGF_BACKUP_CHAIN_BROKEN',
      message: expect.stringContaining('on top of full'),
    });
  });

  it('refuses an incremental without a parent, or with summarize_wal off, naming the cause', async () => {
    const empty = new LocalStorage(path.join(home, 'empty'));
    await expect(
      runBackup({ source: { connectionString: cluster.url() }, storage: empty, format: 'physical', compression: 'gzip', signingKey: testSigningKey, path: 'x', incremental: true }),
    ).rejects.toMatchObject({ code: 'PGF_BACKUP_CHAIN_BROKEN', message: expect.stringContaining('take a full backup first') });
    await expect(backup('from-nowhere', 'no-such-backup')).rejects.toMatchObject({ code: 'PGF_BACKUP_CHAIN_BROKEN', message: expect.stringContaining('no-such-backup') });
    // --incremental-from picks an older parent than the latest: a second branch on the full backup.
    const branch = await backup('branch', 'full');
    expect(branch.archives[0]!.manifest.physical!.incremental).toMatchObject({ parent: 'full' });
    await withClient(cluster.url(), async (client) => {
      await client.query('ALTER SYSTEM SET summarize_wal = off');
      await client.query('SELECT pg_reload_conf()');
    });
    try {
      await expect(backup('inc-off', true)).rejects.toMatchObject({ code: 'PGF_INCREMENTAL_UNAVAILABLE', message: expect.stringContaining('summarize_wal') });
    } finally {
      await withClient(cluster.url(), async (client) => {
        await client.query('ALTER SYSTEM RESET summarize_wal');
        await client.query('SELECT pg_reload_conf()');
      });
    }
  });
});

describe('incremental physical backups, PostgreSQL 13', () => {
  let cluster: TestCluster;
  let home: string;

  beforeAll(async () => {
    cluster = await startCluster({ major: 13 });
    home = await mkdtemp(path.join(os.tmpdir(), 'pgferry-incr-13-'));
  });

  afterAll(async () => {
    await cluster?.stop();
    if (home) await rm(home, { recursive: true, force: true });
  });

  it('refuses --incremental before PostgreSQL 17, naming the server version', async () => {
    const storage = new LocalStorage(path.join(home, 'storage'));
    await expect(
      runBackup({ source: { connectionString: cluster.url() }, storage, format: 'physical', compression: 'gzip', signingKey: testSigningKey, path: 'x', incremental: true }),
    ).rejects.toMatchObject({ code: 'PGF_INCREMENTAL_UNAVAILABLE', message: expect.stringContaining('PostgreSQL 17 or later') });
  });
});
