import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { lstat, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import { PgferryError } from '../../errors/pgferry-error.js';
import { readArchiveFile } from '../archive/archive-files.js';
import type { PhysicalFile } from '../archive/manifest.js';
import type { ChainLink } from './backup-chain.js';
import { applyIncrementalFile, incrementalPrefix } from './incremental-file.js';
import { TarReader } from './tar-reader.js';

export interface AppliedBackup {
  files: number;
  bytes: number;
}

/** `base/5/INCREMENTAL.16384.1` → `base/5/16384.1`; other names unchanged. */
export function restoredName(name: string): string {
  const base = path.posix.basename(name);
  if (!base.startsWith(incrementalPrefix)) return name;
  const dir = path.posix.dirname(name);
  return dir === '.' ? base.slice(incrementalPrefix.length) : `${dir}/${base.slice(incrementalPrefix.length)}`;
}

/**
 * Applies one incremental backup onto `dataDir`, which holds the previous backup of its
 * chain as restored (tablespaces through their pg_tblspc links). Whole files replace the old
 * ones, INCREMENTAL files patch their relation file block by block, every file is checked
 * against the backup's manifest, and whatever the backup does not hold any more (a dropped
 * table or database, old WAL) is removed: the directory then equals this backup.
 */
export async function applyIncrementalBackup(link: ChainLink, dataDir: string, key: Buffer | undefined, signal?: AbortSignal): Promise<AppliedBackup> {
  const { location, manifest, physical } = link;
  const where = location.storage.describe(location.path);
  const expected = new Map<string, PhysicalFile>(physical.contents.map((file) => [file.path, file]));
  const keepFiles = new Set<string>();
  const keepDirs = new Set<string>();
  let files = 0;
  let bytes = 0;
  for (const archive of physical.archives) {
    signal?.throwIfAborted();
    const stored = manifest.files.find((file) => file.path === archive.file);
    if (!stored) throw new PgferryError('PGF_ARCHIVE_INVALID', `${where}/manifest.json names ${archive.file} but does not list it; the archive is damaged`);
    const prefix = archive.tablespace_oid === null ? '' : `pg_tblspc/${archive.tablespace_oid}/`;
    if (prefix && !(await lstat(path.join(dataDir, prefix)).catch(() => undefined))) {
      throw new PgferryError('PGF_RESTORE_REFUSED', `${where} holds tablespace ${archive.tablespace_oid}, which the full backup of its chain does not; an incremental backup cannot bring a new tablespace — restore a full backup taken after it was created`);
    }
    const reader = new TarReader(await readArchiveFile(location, stored, { compression: manifest.compression, key }), archive.file);
    for (let entry = await reader.next(); entry; entry = await reader.next()) {
      signal?.throwIfAborted();
      const name = prefix + entry.path;
      if (entry.type === 'directory') {
        keepDirs.add(name);
        await mkdir(path.join(dataDir, name), { recursive: true, mode: 0o700 });
        continue;
      }
      if (entry.type === 'symlink') {
        // Tablespace links were made by the full backup's restore, pointing where each tablespace went.
        if (!(await lstat(path.join(dataDir, name)).catch(() => undefined))?.isSymbolicLink()) {
          throw new PgferryError('PGF_RESTORE_REFUSED', `${where} holds ${name}, a tablespace link the full backup of its chain does not hold; restore a full backup taken after the tablespace was created`);
        }
        keepDirs.add(name);
        continue;
      }
      const listed = expected.get(name);
      if (!listed) throw new PgferryError('PGF_ARCHIVE_CORRUPT', `${archive.file} of ${where} holds ${name}, which the backup's manifest does not list; the archive was altered`);
      const target = restoredName(name);
      const full = path.join(dataDir, target);
      await mkdir(path.dirname(full), { recursive: true, mode: 0o700 });
      const hash = createHash('sha256');
      if (target !== name) await applyIncrementalFile(reader, entry.size, full, `${name} in ${where}`, hash);
      else {
        const hasher = new Transform({
          transform(chunk: Buffer, _encoding, callback: TransformCallback) {
            hash.update(chunk);
            callback(null, chunk);
          },
        });
        await pipeline(Readable.from(reader.body()), hasher, createWriteStream(full, { mode: 0o600 }));
      }
      if (hash.digest('hex') !== listed.sha256) {
        throw new PgferryError('PGF_ARCHIVE_CORRUPT', `${name} in ${archive.file} of ${where} does not match the backup's manifest (sha256 differs); restore from another copy of the backup`, { details: { file: name } });
      }
      expected.delete(name);
      keepFiles.add(target);
      files += 1;
      bytes += entry.size;
    }
    await reader.drain();
  }
  if (expected.size > 0) {
    throw new PgferryError('PGF_ARCHIVE_CORRUPT', `${where}: ${expected.size} file(s) of the manifest were not in the archives (first: ${[...expected.keys()].slice(0, 3).join(', ')}); the backup is incomplete`);
  }
  await removeAbsent(dataDir, '', keepFiles, keepDirs);
  return { files, bytes };
}

/** Removes every file and directory under `dir` that the backup does not hold. */
async function removeAbsent(root: string, dir: string, keepFiles: Set<string>, keepDirs: Set<string>): Promise<void> {
  for (const entry of await readdir(path.join(root, dir), { withFileTypes: true })) {
    const name = dir ? `${dir}/${entry.name}` : entry.name;
    const full = path.join(root, name);
    if (entry.isDirectory() || (entry.isSymbolicLink() && keepDirs.has(name))) {
      if (!keepDirs.has(name)) await rm(full, { recursive: true, force: true });
      else await removeAbsent(root, name, keepFiles, keepDirs);
    } else if (!keepFiles.has(name)) await rm(full, { force: true });
  }
}

/**
 * The backup_label of an incremental backup names its parent (INCREMENTAL FROM LSN/TLI);
 * PostgreSQL refuses to start from such a label ("this is an incremental backup, not a data
 * directory"). Once combined, the directory is a full copy: those lines go, as pg_combinebackup does.
 */
export async function fullBackupLabel(dataDir: string): Promise<void> {
  const file = path.join(dataDir, 'backup_label');
  const text = await readFile(file, 'utf8');
  const kept = text.split('\n').filter((line) => !line.startsWith('INCREMENTAL FROM '));
  await writeFile(file, kept.join('\n'), { mode: 0o600 });
}
