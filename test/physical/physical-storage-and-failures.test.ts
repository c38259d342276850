import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { Manifest } from '../../src/engine/archive/manifest.js';
import { signManifest } from '../../src/engine/archive/manifest-signature.js';
import { verifyArchive } from '../../src/engine/archive/verify-archive.js';
import { runBackup } from '../../src/engine/backup/run-backup.js';
import { restorePhysicalBackup } from '../../src/engine/physical/restore-physical.js';
import { verifyPhysicalContents } from '../../src/engine/physical/verify-physical-contents.js';
import { runRestore } from '../../src/engine/restore/run-restore.js';
import { LocalStorage } from '../../src/engine/storage/local-storage.js';
import { S3Storage } from '../../src/engine/storage/s3-storage.js';
import { testSigningKey, testTrust } from '../helpers/archive-trust.js';
import { pollUntil } from '../helpers/backends.js';
import { type TestCluster, startCluster } from '../helpers/pg-cluster.js';
import { cliJson, runCli } from '../helpers/run-cli.js';
import { startDataDir } from '../helpers/start-data-dir.js';
import { startS3Server } from '../backup/s3-server.js';
import { fingerprint, seedTwoDatabases, withClient } from './physical-fixtures.js';

let cluster: TestCluster;
let home: string;
let before: Record<string, string>;

beforeAll(async () => {
  cluster = await startCluster({ major: 17 });
  home = await mkdtemp(path.join(os.tmpdir(), 'pgferry-physical-'));
  await seedTwoDatabases(cluster);
  before = await fingerprint((database) => cluster.url(database));
});

afterAll(async () => {
  await cluster?.stop();
  if (home) await rm(home, { recursive: true, force: true });
});

const backup = (storage: LocalStorage | S3Storage, extra: Partial<Parameters<typeof runBackup>[0]> = {}) =>
  runBackup({ source: { connectionString: cluster.url() }, storage, format: 'physical', compression: 'gzip', signingKey: testSigningKey, ...extra });

describe('physical backups: encryption, corruption, refusals (PostgreSQL 17)', () => {
  it('an encrypted backup refuses a wrong key by name; a tampered stored file fails verify and restore, naming it, and leaves no directory behind', async () => {
    const storage = new LocalStorage(path.join(home, 'enc'));
    const result = await backup(storage, { encryptionSecret: 'right secret', path: 'b1' });
    const physical = result.archives[0]!.manifest.physical!;
    expect(physical.archives[0]!.file).toBe('base.tar.gz.enc');

    const toDir = path.join(home, 'wrong-key');
    await expect(restorePhysicalBackup({ storage, path: 'b1', toDir, trust: testTrust, encryptionSecret: 'wrong secret' })).rejects.toMatchObject({
      code: 'PGF_ARCHIVE_KEY_INVALID',
      message: expect.stringContaining('b1'),
    });

    // One byte of the stored base archive flipped.
    const file = path.join(home, 'enc', 'b1', 'base.tar.gz.enc');
    const bytes = await readFile(file);
    const middle = Math.floor(bytes.length / 2);
    bytes[middle] = (bytes[middle] ?? 0) ^ 0xff;
    await writeFile(file, bytes);
    const verified = await verifyArchive({ storage, path: 'b1' }, { trust: testTrust });
    expect(verified.ok).toBe(false);
    expect(verified.files.find((f) => !f.ok)?.path).toBe('base.tar.gz.enc');
    expect(verified.error?.message).toContain('base.tar.gz.enc');

    await expect(restorePhysicalBackup({ storage, path: 'b1', toDir, trust: testTrust, encryptionSecret: 'right secret' })).rejects.toMatchObject({
      code: 'PGF_ARCHIVE_CORRUPT',
      message: expect.stringContaining('base.tar.gz.enc'),
    });
    expect((await readdir(home)).filter((name) => name.includes('wrong-key'))).toEqual([]);
  });

  it('refuses a non-empty target directory, and a database restore of a physical backup', async () => {
    const storage = new LocalStorage(path.join(home, 'refusals'));
    await backup(storage, { path: 'b2', compression: 'none' });
    const busy = path.join(home, 'busy');
    await mkdir(busy);
    await writeFile(path.join(busy, 'keep.txt'), 'mine');
    await expect(restorePhysicalBackup({ storage, path: 'b2', toDir: busy, trust: testTrust })).rejects.toMatchObject({ code: 'PGF_RESTORE_REFUSED' });
    expect(await readdir(busy)).toEqual(['keep.txt']);
    await expect(runRestore({ archive: { storage, path: 'b2' }, target: { connectionString: cluster.url('alpha') }, trust: testTrust })).rejects.toMatchObject({
      code: 'PGF_RESTORE_REFUSED',
      message: expect.stringContaining('--to-dir'),
    });
    await expect(backup(storage, { path: 'b3', tables: ['public.items'] })).rejects.toMatchObject({ code: 'PGF_VALIDATION_FAILED', message: expect.stringContaining('--tables') });
    await withClient(cluster.url(), (client) => client.query("CREATE ROLE reader LOGIN PASSWORD 'reader-pw'"));
    const url = cluster.url().replace(/\/\/postgres:[^@]*@/, '//reader:reader-pw@');
    const refused = runBackup({ source: { connectionString: url }, storage, format: 'physical', signingKey: testSigningKey, path: 'b7' });
    await expect(refused).rejects.toThrow(/REPLICATION attribute/);
    expect(await storage.list('b7')).toEqual([]);
  });

});

describe('physical backups: files inside checked against the manifest (PostgreSQL 17)', () => {
  it('a manifest entry that no longer matches the file inside is named by the deep check and by restore', async () => {
    const storage = new LocalStorage(path.join(home, 'inside'));
    await backup(storage, { path: 'b6', compression: 'none' });
    const manifestPath = path.join(home, 'inside', 'b6', 'manifest.json');
    const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as Manifest;
    const entry = manifest.physical!.contents.find((file) => file.path === 'PG_VERSION')!;
    entry.sha256 = '0'.repeat(64);
    // Re-signed with the right key: only the check of the files inside can notice.
    const text = JSON.stringify(manifest, null, 2);
    await writeFile(manifestPath, text);
    await writeFile(path.join(home, 'inside', 'b6', 'manifest.sig'), signManifest(text, testSigningKey));
    expect((await verifyArchive({ storage, path: 'b6' }, { trust: testTrust })).ok).toBe(true);
    const inside = await verifyPhysicalContents({ storage, path: 'b6' }, manifest, undefined);
    expect(inside.ok).toBe(false);
    expect(inside.problems).toEqual(['PG_VERSION (in base.tar): sha256 differs from the manifest']);
    await expect(restorePhysicalBackup({ storage, path: 'b6', toDir: path.join(home, 'inside-restored'), trust: testTrust })).rejects.toMatchObject({
      code: 'PGF_ARCHIVE_CORRUPT',
      message: expect.stringContaining('PG_VERSION'),
    });
  });
});

describe('physical backups through S3 and the CLI (PostgreSQL 17)', () => {
  it('streams to the S3 test server, verifies there and restores from it', async () => {
    const s3 = await startS3Server();
    const storage = new S3Storage({ kind: 's3', bucket: 'pgferry-physical', prefix: 'cluster', region: 'us-east-1', endpoint: s3.endpoint, forcePathStyle: true, accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' });
    try {
      await storage.init();
      const result = await backup(storage, { encryptionSecret: 's3 secret' });
      expect((await verifyArchive({ storage, path: result.path }, { trust: testTrust })).ok).toBe(true);
      const toDir = path.join(home, 's3-restored');
      await restorePhysicalBackup({ storage, path: result.path, toDir, trust: testTrust, encryptionSecret: 's3 secret' });
      const server = await startDataDir(cluster.binaries, toDir, home);
      try {
        expect(await fingerprint((database) => server.url(database, cluster.password))).toEqual(before);
      } finally {
        await server.stop();
      }
    } finally {
      await storage.close();
      await s3.close();
    }
  });

  it('pgferry backup --format physical, verify and restore --to-dir as subprocesses', async () => {
    const env = { PGFERRY_ENCRYPTION_KEY: 'a'.repeat(64), PGFERRY_BACKUP_KEY: 'cli secret', PGFERRY_HOME: path.join(home, 'cli-home') };
    const target = path.join(home, 'cli-storage');
    const made = await runCli(['backup', '--from', cluster.url(), '--to', target, '--format', 'physical', '--compress', 'zstd', '--encrypt', '--jobs', '2', '--name', 'nightly', '--json'], env);
    const summary = cliJson(made);
    expect(made.code).toBe(0);
    expect(summary.archives[0].physical).toMatchObject({ server_major: 17, wal: 'included', tablespaces: 1 });
    const archive = path.join(target, 'nightly');
    expect((await readdir(archive)).sort()).toEqual(['backup_manifest.zst.enc', 'base.tar.zst.enc', 'manifest.json', 'manifest.sig']);

    const verify = await runCli(['verify', archive, '--deep', '--json'], env);
    expect(verify.code).toBe(0);
    expect(cliJson(verify)).toMatchObject({ ok: true, signature: 'valid', inside: { ok: true, problems: [] } });
    expect(cliJson(verify).inside.files).toBe(summary.archives[0].physical.files);

    const refused = await runCli(['restore', archive, '--to', cluster.url('alpha'), '--clean', '--yes'], env);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('--to-dir');

    const toDir = path.join(home, 'cli-restored');
    const restored = await runCli(['restore', archive, '--to-dir', toDir], env);
    expect(restored.code).toBe(0);
    expect(restored.stdout).toContain('WAL is included');
    const server = await startDataDir(cluster.binaries, toDir, home);
    try {
      expect(await fingerprint((database) => server.url(database, cluster.password))).toEqual(before);
    } finally {
      await server.stop();
    }
  });
});

/** A local storage whose writes of the base archive fail after some bytes (a full disk, a dropped upload). */
class FailingStorage extends LocalStorage {
  constructor(
    root: string,
    readonly failAfter = 256 * 1024,
  ) {
    super(root);
  }

  override async write(relative: string, body: Readable, signal?: AbortSignal): Promise<void> {
    if (!relative.includes('base.tar')) return super.write(relative, body, signal);
    let seen = 0;
    for await (const chunk of body) {
      seen += (chunk as Buffer).length;
      if (seen > this.failAfter) throw new Error('disk full (simulated)');
    }
  }
}

describe('physical backups: failures mid-stream and WAL from the archive (PostgreSQL 17)', () => {
  it('a storage failure mid-archive fails the backup, removes its files and ends the server side of the backup', async () => {
    const storage = new FailingStorage(path.join(home, 'failing'));
    await expect(backup(storage, { path: 'broken' })).rejects.toThrow(/disk full/);
    expect(await storage.list('broken')).toEqual([]);
    const senders = await pollUntil(
      () => withClient(cluster.url(), async (client) => Number((await client.query<{ n: string }>("SELECT count(*) AS n FROM pg_stat_activity WHERE backend_type = 'walsender'")).rows[0]?.n)),
      (count) => count === 0,
    );
    expect(senders).toBe(0);
  });

  it('a storage failure on the first bytes, while the backup is not waiting for the storage, fails the backup too', async () => {
    // The archive's input is destroyed between two writes: the next write must fail, not wait for a 'drain' that never comes.
    const storage = new FailingStorage(path.join(home, 'failing-early'), 0);
    await expect(backup(storage, { path: 'broken-early' })).rejects.toThrow(/disk full/);
    expect(await storage.list('broken-early')).toEqual([]);
    const senders = await pollUntil(
      () => withClient(cluster.url(), async (client) => Number((await client.query<{ n: string }>("SELECT count(*) AS n FROM pg_stat_activity WHERE backend_type = 'walsender'")).rows[0]?.n)),
      (count) => count === 0,
    );
    expect(senders).toBe(0);
  });

  it('an abort mid-archive stops the backup at once, removes its files and ends the server side', async () => {
    const controller = new AbortController();
    class AbortingStorage extends LocalStorage {
      override async write(relative: string, body: Readable, signal?: AbortSignal): Promise<void> {
        if (relative.includes('base.tar')) body.once('data', () => controller.abort());
        return super.write(relative, body, signal);
      }
    }
    const storage = new AbortingStorage(path.join(home, 'aborted'));
    await expect(
      runBackup({ source: { connectionString: cluster.url() }, storage, format: 'physical', signingKey: testSigningKey, path: 'stopped' }, { signal: controller.signal }),
    ).rejects.toThrow(/abort/i);
    expect(await storage.list('stopped')).toEqual([]);
    const senders = await pollUntil(
      () => withClient(cluster.url(), async (client) => Number((await client.query<{ n: string }>("SELECT count(*) AS n FROM pg_stat_activity WHERE backend_type = 'walsender'")).rows[0]?.n)),
      (count) => count === 0,
    );
    expect(senders).toBe(0);
  });

  it('without WAL, the manifest says the WAL comes from the archive and the base holds no segment', async () => {
    const storage = new LocalStorage(path.join(home, 'nowal'));
    const result = await backup(storage, { path: 'b5', includeWal: false });
    const physical = result.archives[0]!.manifest.physical!;
    expect(physical.wal).toBe('archive');
    expect(physical.contents.some((f) => /^pg_wal\/[0-9A-F]{24}$/.test(f.path))).toBe(false);
    const restored = await restorePhysicalBackup({ storage, path: 'b5', toDir: path.join(home, 'nowal-restored'), trust: testTrust });
    expect(restored).toMatchObject({ walIncluded: false, startLsn: physical.start_lsn, endLsn: physical.end_lsn, timeline: physical.timeline });
  });
});
