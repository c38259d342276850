import { chmod, chown, mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { verifyArchive } from '../../src/engine/archive/verify-archive.js';
import { runBackup } from '../../src/engine/backup/run-backup.js';
import { listPhysicalBackups } from '../../src/engine/physical/list-physical-backups.js';
import { restorePhysicalBackup } from '../../src/engine/physical/restore-physical.js';
import { LocalStorage } from '../../src/engine/storage/local-storage.js';
import { testSigningKey, testTrust } from '../helpers/archive-trust.js';
import { type ClusterMajor, type TestCluster, startCluster } from '../helpers/pg-cluster.js';
import { postgresOwner, startDataDir } from '../helpers/start-data-dir.js';
import { fingerprint, seedTwoDatabases, withClient } from './physical-fixtures.js';

describe.each([13, 17, 18] as ClusterMajor[])('physical backup and restore, PostgreSQL %i', (major) => {
  let cluster: TestCluster;
  let home: string;

  beforeAll(async () => {
    cluster = await startCluster({ major });
    home = await mkdtemp(path.join(os.tmpdir(), `pgferry-physical-${major}-`));
    await seedTwoDatabases(cluster);
  });

  afterAll(async () => {
    await cluster?.stop();
    if (home) await rm(home, { recursive: true, force: true });
  });

  it('backs up the cluster with its WAL, verifies, restores into a new directory that starts with every row', async () => {
    const before = await fingerprint((database) => cluster.url(database));
    const storage = new LocalStorage(path.join(home, 'storage'));
    const events: string[] = [];
    const warnings: string[] = [];
    const result = await runBackup(
      { source: { connectionString: cluster.url() }, storage, format: 'physical', compression: 'gzip', signingKey: testSigningKey },
      {
        onEvent: (event) => {
          events.push(event.type);
          if (event.type === 'log' && event.level === 'warn') warnings.push(event.message);
        },
      },
    );
    // The temporary slot that holds the WAL was created (no warning that it could not be).
    expect(warnings).toEqual([]);
    const archive = result.archives[0]!;
    const physical = archive.manifest.physical!;
    expect(archive.format).toBe('physical');
    expect(physical.server_major).toBe(major);
    expect(physical.wal).toBe('included');
    expect(physical.system_identifier).toMatch(/^\d+$/);
    expect(physical.archives.map((a) => a.file)).toEqual(['base.tar.gz']);
    expect(physical.contents.some((f) => f.path === 'PG_VERSION')).toBe(true);
    expect(physical.contents.some((f) => f.path.startsWith('pg_wal/') && /^pg_wal\/[0-9A-F]{24}$/.test(f.path))).toBe(true);
    expect(events).toContain('file:done');

    const verified = await verifyArchive({ storage, path: result.path }, { trust: testTrust });
    expect(verified.ok).toBe(true);
    expect(verified.signature).toBe('valid');

    const listed = await listPhysicalBackups(storage);
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({ path: result.path, systemId: physical.system_identifier, startLsn: physical.start_lsn, endLsn: physical.end_lsn, walIncluded: true });

    const toDir = path.join(home, 'restored');
    const restored = await restorePhysicalBackup({ storage, path: result.path, toDir, trust: testTrust });
    expect(restored).toMatchObject({ dataDir: toDir, systemId: physical.system_identifier, serverMajor: major, walIncluded: true, startLsn: physical.start_lsn, endLsn: physical.end_lsn });

    const server = await startDataDir(cluster.binaries, toDir, home);
    try {
      expect(await fingerprint((database) => server.url(database, cluster.password))).toEqual(before);
    } finally {
      await server.stop();
    }
  });

  it('backs up a second tablespace as its own archive and restores it where it is mapped', async () => {
    const owner = await postgresOwner();
    const spaceDir = path.join(home, 'space');
    await mkdir(spaceDir);
    if (owner) {
      await chown(spaceDir, owner.uid, owner.gid);
      await chmod(home, 0o711);
    }
    await withClient(cluster.url('alpha'), async (client) => {
      await client.query(`CREATE TABLESPACE extra LOCATION '${spaceDir}'`);
      await client.query('CREATE TABLE placed (id int PRIMARY KEY, note text) TABLESPACE extra');
      await client.query("INSERT INTO placed SELECT g, md5(g::text) FROM generate_series(1, 3000) g");
    });
    const placed = async (url: string) =>
      withClient(url, async (client) => (await client.query<{ h: string }>("SELECT count(*) || ':' || md5(string_agg(p::text, '|' ORDER BY id)) AS h FROM public.placed p")).rows[0]?.h);
    const expected = await placed(cluster.url('alpha'));
    try {
      const storage = new LocalStorage(path.join(home, 'spaces'));
      const result = await runBackup({ source: { connectionString: cluster.url() }, storage, format: 'physical', compression: 'gzip', signingKey: testSigningKey, path: 'b4' });
      const physical = result.archives[0]!.manifest.physical!;
      const extra = physical.archives.find((a) => a.tablespace_oid !== null)!;
      expect(extra).toMatchObject({ location: spaceDir, file: `pg_tblspc-${extra.tablespace_oid}.tar.gz` });
      expect(physical.contents.some((f) => f.path.startsWith(`pg_tblspc/${extra.tablespace_oid}/`))).toBe(true);

      // Its original place is in use: restoring there is refused, naming the tablespace.
      const toDir = path.join(home, 'ts-restored');
      await expect(restorePhysicalBackup({ storage, path: 'b4', toDir, trust: testTrust })).rejects.toMatchObject({
        code: 'PGF_RESTORE_REFUSED',
        message: expect.stringContaining(`--tablespace-map ${extra.tablespace_oid}=DIR`),
      });
      const newSpace = path.join(home, 'space-restored');
      const restored = await restorePhysicalBackup({ storage, path: 'b4', toDir, trust: testTrust, tablespaceMap: { [spaceDir]: newSpace } });
      expect(restored.tablespaces).toEqual([{ oid: extra.tablespace_oid, dir: newSpace }]);
      const server = await startDataDir(cluster.binaries, toDir, home);
      try {
        expect(await placed(server.url('alpha', cluster.password))).toBe(expected);
      } finally {
        await server.stop();
      }
    } finally {
      await withClient(cluster.url('alpha'), async (client) => {
        await client.query('DROP TABLE placed');
        await client.query('DROP TABLESPACE extra');
      });
    }
  });
});
