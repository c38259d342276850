import { mkdtemp, rm } from 'node:fs/promises';
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
import { startDataDir } from '../helpers/start-data-dir.js';
import { fingerprint, seedTwoDatabases } from './physical-fixtures.js';

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
    const result = await runBackup(
      { source: { connectionString: cluster.url() }, storage, format: 'physical', compression: 'gzip', signingKey: testSigningKey },
      { onEvent: (event) => events.push(event.type) },
    );
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
});
