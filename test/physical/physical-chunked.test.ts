import { createHash, randomBytes } from 'node:crypto';
import { appendFile, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { Manifest } from '../../src/engine/archive/manifest.js';
import { signManifest } from '../../src/engine/archive/manifest-signature.js';
import { runBackup } from '../../src/engine/backup/run-backup.js';
import { restorePhysicalBackup } from '../../src/engine/physical/restore-physical.js';
import { LocalStorage } from '../../src/engine/storage/local-storage.js';
import { testSigningKey, testTrust } from '../helpers/archive-trust.js';
import { type TestCluster, startCluster } from '../helpers/pg-cluster.js';
import { startDataDir } from '../helpers/start-data-dir.js';
import { fingerprint, seedTwoDatabases } from './physical-fixtures.js';

let cluster: TestCluster;
let home: string;
let before: Record<string, string>;

beforeAll(async () => {
  cluster = await startCluster({ major: 17 });
  home = await mkdtemp(path.join(os.tmpdir(), 'pgferry-chunked-'));
  await seedTwoDatabases(cluster);
  before = await fingerprint((database) => cluster.url(database));
  // Large files of sizes no relation file has (a base backup takes any file in the data
  // directory): written with direct I/O, their last sectors padded and cut back.
  for (const [name, size] of Object.entries(oddFiles)) await writeFile(path.join(cluster.dataDir, name), randomBytes(size));
});

const oddFiles = { 'odd-just-over-1mib.bin': 1024 * 1024 + 1, 'odd-5mib.bin': 5 * 1024 * 1024 + 123, 'odd-9mib.bin': 9 * 1024 * 1024 + 4095 };

afterAll(async () => {
  await cluster?.stop();
  if (home) await rm(home, { recursive: true, force: true });
});

const backup = (storage: LocalStorage, compression: 'gzip' | 'zstd', backupPath: string) =>
  runBackup({ source: { connectionString: cluster.url() }, storage, format: 'physical', compression, signingKey: testSigningKey, path: backupPath });

/** Every regular file under `dir` with its sha256 (what two restores of one backup must share). */
async function tree(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    out[path.relative(dir, file)] = createHash('sha256').update(await readFile(file)).digest('hex');
  }
  return out;
}

async function rewriteManifest(dir: string, change: (manifest: Manifest) => void): Promise<void> {
  const manifestPath = path.join(dir, 'manifest.json');
  const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as Manifest;
  change(manifest);
  const text = JSON.stringify(manifest, null, 2);
  await writeFile(manifestPath, text);
  await writeFile(path.join(dir, 'manifest.sig'), signManifest(text, testSigningKey));
}

describe('physical backups in independently decodable chunks (PostgreSQL 17)', () => {
  it.each(['zstd', 'gzip'] as const)('%s: the archive carries a chunk index; restore decodes the chunks on several threads into a cluster that starts with every row, the same files as a restore without the index', async (compression) => {
    const storage = new LocalStorage(path.join(home, compression));
    await backup(storage, compression, 'b');
    const manifest = JSON.parse(await readFile(path.join(home, compression, 'b', 'manifest.json'), 'utf8')) as Manifest;
    const base = manifest.physical!.archives.find((archive) => archive.tablespace_oid === null)!;
    const stored = manifest.files.find((file) => file.path === base.file)!;
    // Several chunks, files spanning them (the WAL segments are 16 MiB), sizes that add up.
    expect(base.chunks!.stored.length).toBeGreaterThan(4);
    expect(base.chunks!.raw_total).toBe(base.raw_bytes);
    expect(base.chunks!.stored.reduce((a, b) => a + b, 0)).toBe(stored.size);

    const chunked = path.join(home, `${compression}-restored`);
    const result = await restorePhysicalBackup({ storage, path: 'b', toDir: chunked, trust: testTrust });
    expect(result.files).toBe(manifest.physical!.contents.length);

    // The same backup as an older pgferry wrote it (no index): the streaming path.
    await rewriteManifest(path.join(home, compression, 'b'), (m) => {
      for (const archive of m.physical!.archives) delete archive.chunks;
    });
    const streamed = path.join(home, `${compression}-streamed`);
    await restorePhysicalBackup({ storage, path: 'b', toDir: streamed, trust: testTrust });
    const files = await tree(chunked);
    expect(Object.keys(files).length).toBe(result.files);
    expect(await tree(streamed)).toEqual(files);
    for (const name of Object.keys(oddFiles)) expect(files[name], name).toBe(createHash('sha256').update(await readFile(path.join(cluster.dataDir, name))).digest('hex'));

    const server = await startDataDir(cluster.binaries, chunked, home);
    try {
      expect(await fingerprint((database) => server.url(database, cluster.password))).toEqual(before);
    } finally {
      await server.stop();
    }
  });

  it('a flipped byte, bytes appended, or a chunk index that lies: PGF_ARCHIVE_CORRUPT naming the archive, and no directory left behind', async () => {
    const storage = new LocalStorage(path.join(home, 'damaged'));
    await backup(storage, 'zstd', 'flip');
    await backup(storage, 'gzip', 'append');
    await backup(storage, 'zstd', 'index');

    const flipped = path.join(home, 'damaged', 'flip', 'base.tar.zst');
    const bytes = await readFile(flipped);
    const middle = Math.floor(bytes.length / 2);
    bytes[middle] = (bytes[middle] ?? 0) ^ 0xff;
    await writeFile(flipped, bytes);

    await appendFile(path.join(home, 'damaged', 'append', 'base.tar.gz'), Buffer.from('trailing bytes'));

    await rewriteManifest(path.join(home, 'damaged', 'index'), (m) => {
      const chunks = m.physical!.archives.find((archive) => archive.tablespace_oid === null)!.chunks!;
      // Two chunks' sizes swapped: the sum still matches the stored file.
      [chunks.stored[1], chunks.stored[2]] = [chunks.stored[2]!, chunks.stored[1]!];
    });

    for (const [name, archive] of [
      ['flip', 'base.tar.zst'],
      ['append', 'base.tar.gz'],
      ['index', 'base.tar.zst'],
    ] as const) {
      const toDir = path.join(home, `damaged-${name}`);
      await expect(restorePhysicalBackup({ storage, path: name, toDir, trust: testTrust }), name).rejects.toMatchObject({
        code: 'PGF_ARCHIVE_CORRUPT',
        message: expect.stringContaining(archive),
      });
      expect((await readdir(home)).filter((entry) => entry.includes(`damaged-${name}`)), name).toEqual([]);
    }
  });
});
