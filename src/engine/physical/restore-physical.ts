import { chmod, chown, mkdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';

import { PgferryError } from '../../errors/pgferry-error.js';
import { type ArchiveLocation, readArchiveFile } from '../archive/archive-files.js';
import { openArchiveKey } from '../archive/encryption.js';
import type { Manifest, PhysicalFile, PhysicalSection } from '../archive/manifest.js';
import type { ArchiveTrust } from '../archive/manifest-signature.js';
import { readTrustedManifest } from '../archive/verify-archive.js';
import type { RestoreEvent, RunHooks } from '../backup/backup-events.js';
import type { ArchiveStorage } from '../storage/archive-storage.js';
import { BackgroundSync, syncDirectory, syncTree } from '../storage/durable-fs.js';
import { ChunkWorkers, restoreThreadCount } from '../archive/chunk-workers.js';
import { openChunkSource } from './chunk-source.js';
import { extractChunkedArchive } from './extract-chunked.js';
import { restoreIncrementalChain } from './restore-incremental.js';
import { assertEmptyTarget, chownTree, defaultOwner, stagingOf } from './restore-target.js';
import { FileWriteWorker } from './file-write-worker.js';
import { TarEntryPlacer, manifestMismatch } from './tar-entry.js';
import { type TarHeader, parseTarHeader, tarBlock, tarPadding } from './tar-scanner.js';

export interface RestorePhysicalOptions {
  storage: ArchiveStorage;
  /** The backup's directory inside the storage. */
  path: string;
  /** The new data directory: must not exist, or be empty. */
  toDir: string;
  encryptionSecret?: string | undefined;
  trust: ArchiveTrust;
  /**
   * Where each tablespace goes, by OID or by its location on the source (default: its
   * original location, which must not exist or be empty).
   */
  tablespaceMap?: Readonly<Record<string, string>> | undefined;
  /** Owner of every file written (default: as root, the `postgres` user when it exists; else the current user). */
  owner?: { uid: number; gid: number } | undefined;
  /**
   * Written into the data directory after the files (the recovery step adds its settings
   * and signal file here; a plain restore of a self-contained backup needs none).
   */
  extraFiles?: readonly { path: string; content: string }[] | undefined;
  /** The backup's manifest when the caller has already read it through readTrustedManifest (not read again). */
  manifest?: Manifest | undefined;
  /**
   * Threads for a chunked archive that the caller started early (the CLI starts them while it
   * loads this module, so they are up when the first chunk is read); the caller closes them.
   */
  threads?: ChunkWorkers | undefined;
  signal?: AbortSignal | undefined;
  onEvent?: RunHooks<RestoreEvent>['onEvent'];
}

export interface RestorePhysicalResult {
  dataDir: string;
  systemId: string;
  timeline: number;
  startLsn: string;
  endLsn: string;
  serverMajor: number;
  walIncluded: boolean;
  files: number;
  bytes: number;
  tablespaces: { oid: number; dir: string }[];
  durationMs: number;
}

/**
 * Streams a tar into `root`, checking every file against the backup's contents list. File
 * bytes go to a thread that hashes and writes them while this one decodes the next; the
 * returned `checked` settles once every file is written and matched its SHA-256.
 */
async function extractArchive(
  stream: Readable,
  root: string,
  archive: string,
  expected: Map<string, PhysicalFile>,
  prefix: string,
  writer: FileWriteWorker,
  onSymlink: (entry: TarHeader) => Promise<void>,
): Promise<{ files: number; bytes: number; checked: Promise<unknown> }> {
  const checks: Promise<void>[] = [];
  let files = 0;
  let bytes = 0;
  let buffer: Buffer = Buffer.alloc(0);
  const iterator = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let exhausted = false;
  const fill = async (need: number): Promise<boolean> => {
    while (buffer.length < need) {
      const next = await iterator.next();
      if (next.done) {
        exhausted = true;
        return false;
      }
      buffer = buffer.length === 0 ? next.value : Buffer.concat([buffer, next.value]);
    }
    return true;
  };
  const placer = new TarEntryPlacer({ root, archive, expected, prefix, onSymlink });
  for (;;) {
    // PostgreSQL 13/14 archives end without the two zero blocks.
    if (!(await fill(tarBlock))) {
      if (buffer.length > 0) throw new PgferryError('PGF_ARCHIVE_CORRUPT', `${archive} ends inside a tar header; the archive is truncated`);
      break;
    }
    const header = parseTarHeader(buffer.subarray(0, tarBlock), archive);
    buffer = buffer.subarray(tarBlock);
    if (!header) break;
    const placed = await placer.place(header);
    if (!placed) continue;
    const { name, listed } = placed;
    const sink = writer.file(placed.target, 0o600);
    let left = header.size;
    while (left > 0) {
      if (buffer.length === 0 && !(await fill(1))) throw new PgferryError('PGF_ARCHIVE_CORRUPT', `${archive} ends inside a file; the archive is truncated`);
      const take = buffer.length <= left ? buffer : buffer.subarray(0, left);
      buffer = buffer.subarray(take.length);
      left -= take.length;
      await sink.write(take);
    }
    const check = sink.end().then((sha256) => {
      if (sha256 !== listed.sha256) throw manifestMismatch(name, archive, 'sha256');
    });
    check.catch(() => undefined); // awaited through `checked`; a failure meanwhile is not unhandled
    checks.push(check);
    const pad = tarPadding(header.size);
    if (pad > 0 && !(await fill(pad))) throw new PgferryError('PGF_ARCHIVE_CORRUPT', `${archive} is truncated after ${name}`);
    buffer = buffer.subarray(pad);
    files += 1;
    bytes += header.size;
  }
  // Drain the rest (zero padding) so the stream's own checks (sha256 of the stored file, authentication) run.
  if (!exhausted) for (;;) if ((await iterator.next()).done) break;
  return { files, bytes, checked: Promise.all(checks) };
}

/**
 * Writes a physical backup out as a data directory (and its tablespaces), each into a
 * staging sibling first, renamed into place only when every file was written and matched
 * the manifest; on any error the staging directories go and the target stays as it was.
 */
export async function restorePhysicalBackup(options: RestorePhysicalOptions): Promise<RestorePhysicalResult> {
  const started = Date.now();
  const location: ArchiveLocation = { storage: options.storage, path: options.path };
  const where = options.storage.describe(options.path);
  const manifest: Manifest = options.manifest ?? (await readTrustedManifest(location, options.trust));
  const physical = manifest.physical;
  if (manifest.format !== 'physical' || !physical) {
    throw new PgferryError('PGF_RESTORE_REFUSED', `${where} is a ${manifest.format} archive, not a physical backup; restore it into a database with \`pgferry restore ARCHIVE --to DB\``);
  }
  // An incremental backup is combined with its chain (full backup restored, then each incremental applied).
  if (physical.incremental) return restoreIncrementalChain(options, manifest, restorePhysicalBackup);
  const key = manifest.encryption ? openArchiveKey(options.encryptionSecret, manifest.encryption, where) : undefined;
  const dataDir = path.resolve(options.toDir);
  await assertEmptyTarget(dataDir, 'the target directory');
  const tablespaces = await placeTablespaces(physical, options.tablespaceMap ?? {});
  // Looked up (the postgres user) while the files are written, not before.
  const ownerLookup = options.owner ? Promise.resolve(options.owner) : defaultOwner();
  ownerLookup.catch(() => undefined);
  const staging = [{ staging: stagingOf(dataDir), final: dataDir }, ...tablespaces.map((t) => ({ staging: stagingOf(t.dir), final: t.dir }))];
  const expected = new Map(physical.contents.map((file) => [file.path, file]));
  let files = 0;
  let bytes = 0;
  let writer: FileWriteWorker | undefined;
  // Three flushes at once: fsync holds one of libuv's four pool threads each, and the archive's
  // reads need the fourth (two at a time left ~100-300 MB still to flush after the last chunk).
  const sync = new BackgroundSync(3);
  // Started now: the threads (and zstd's WebAssembly) boot while the target is checked.
  const chunked = manifest.compression !== 'none' && physical.archives.some((archive) => archive.chunks);
  const ownThreads = chunked && !options.threads ? new ChunkWorkers(restoreThreadCount(), { zstd: manifest.compression === 'zstd' }) : undefined;
  const chunkWorkers = chunked ? (options.threads ?? ownThreads) : undefined;
  const stopThreads = async () => {
    await writer?.close();
    await ownThreads?.close();
  };
  try {
    for (const dir of staging) {
      await rm(dir.staging, { recursive: true, force: true });
      await mkdir(dir.staging, { recursive: true, mode: 0o700 });
    }
    for (const archive of physical.archives) {
      options.signal?.throwIfAborted();
      const file = manifest.files.find((f) => f.path === archive.file);
      if (!file) throw new PgferryError('PGF_ARCHIVE_INVALID', `${where}/manifest.json names ${archive.file} but does not list it; the archive is damaged`);
      const tablespace = archive.tablespace_oid === null ? undefined : tablespaces.find((t) => t.oid === archive.tablespace_oid);
      const root = tablespace ? stagingOf(tablespace.dir) : stagingOf(dataDir);
      const prefix = tablespace ? `pg_tblspc/${tablespace.oid}/` : '';
      options.onEvent?.({ type: 'table:start', table: archive.file });
      const onSymlink = async (entry: TarHeader) => {
        // Tablespace links point at where each tablespace is restored; nothing else is a symlink in a base backup.
        const oid = /^pg_tblspc\/(\d+)$/.exec(entry.path)?.[1];
        const mapped = oid === undefined ? undefined : tablespaces.find((t) => String(t.oid) === oid);
        if (archive.tablespace_oid !== null || !mapped) throw new PgferryError('PGF_ARCHIVE_CORRUPT', `${archive.file} holds a symlink ${entry.path} → ${entry.target ?? '?'} that is not a tablespace link; refusing to write it`);
        await symlink(mapped.dir, path.join(root, entry.path));
      };
      let done: { files: number; bytes: number };
      // A chunk size that is not whole tar blocks (not written by pgferry) is read as one stream.
      if (archive.chunks && archive.chunks.raw % tarBlock === 0 && chunkWorkers && manifest.compression !== 'none') {
        // Chunked: the stored (compressed) bytes are read here, decoded and written on every core.
        const source = await openChunkSource(location, file, key);
        try {
          done = await extractChunkedArchive({ source, chunks: archive.chunks, compression: manifest.compression, root, archive: archive.file, expected, prefix, workers: chunkWorkers, sync, onSymlink, signal: options.signal });
        } finally {
          await source.close();
        }
      } else {
        const stream = await readArchiveFile(location, file, { compression: manifest.compression, key });
        writer ??= new FileWriteWorker();
        const extracted = await extractArchive(stream, root, archive.file, expected, prefix, writer, onSymlink);
        await extracted.checked;
        done = extracted;
      }
      files += done.files;
      bytes += done.bytes;
      options.onEvent?.({ type: 'table:done', table: archive.file, rows: done.files });
    }
    if (expected.size > 0) {
      const first = [...expected.keys()].slice(0, 3).join(', ');
      throw new PgferryError('PGF_ARCHIVE_CORRUPT', `${where}: ${expected.size} file(s) of the manifest were not in the archives (first: ${first}); the backup is incomplete`);
    }
    for (const extra of options.extraFiles ?? []) await writeFile(path.join(stagingOf(dataDir), extra.path), extra.content, { mode: 0o600 });
    const owner = await ownerLookup;
    for (const dir of staging) {
      await chmod(dir.staging, 0o700);
      if (owner) await chownTree(dir.staging, owner);
    }
    // Durable before it is in place: a crash afterwards must not leave a complete-looking directory with lost writes.
    const synced = await sync.drain(16);
    for (const dir of staging) await syncTree(dir.staging, synced);
    for (const dir of staging) {
      await mkdir(path.dirname(dir.final), { recursive: true });
      // rename replaces an empty target directory; a non-empty one was refused above.
      await rename(dir.staging, dir.final).catch((error: NodeJS.ErrnoException) => {
        throw new PgferryError(
          'PGF_RESTORE_FAILED',
          `cannot move the restored files from ${dir.staging} into ${dir.final} (${error.code ?? error.message}); ${dir.final} may be a mount point — restore into a new directory inside it`,
          { cause: error },
        );
      });
    }
    if (owner) for (const dir of staging) await chown(dir.final, owner.uid, owner.gid);
    for (const dir of staging) await syncDirectory(path.dirname(dir.final));
  } catch (error) {
    await stopThreads();
    await Promise.all(staging.map((dir) => rm(dir.staging, { recursive: true, force: true }).catch(() => undefined)));
    throw error;
  }
  await stopThreads();
  return {
    dataDir,
    systemId: physical.system_identifier,
    timeline: physical.timeline,
    startLsn: physical.start_lsn,
    endLsn: physical.end_lsn,
    serverMajor: physical.server_major,
    walIncluded: physical.wal === 'included',
    files,
    bytes,
    tablespaces: tablespaces.map((t) => ({ oid: t.oid, dir: t.dir })),
    durationMs: Date.now() - started,
  };
}

/** Each non-default tablespace's new directory: mapped by OID or old location, else the old location. */
async function placeTablespaces(physical: PhysicalSection, map: Readonly<Record<string, string>>): Promise<{ oid: number; dir: string }[]> {
  const placed: { oid: number; dir: string }[] = [];
  for (const archive of physical.archives) {
    if (archive.tablespace_oid === null) continue;
    const oid = archive.tablespace_oid;
    const chosen = map[String(oid)] ?? (archive.location ? map[archive.location] : undefined) ?? archive.location;
    if (!chosen) throw new PgferryError('PGF_ARCHIVE_INVALID', `tablespace ${oid} has no recorded location; map it with --tablespace-map ${oid}=DIR`);
    const dir = path.resolve(chosen);
    try {
      await assertEmptyTarget(dir, `tablespace ${oid}'s directory`);
    } catch (error) {
      throw new PgferryError('PGF_RESTORE_REFUSED', `${(error as Error).message}; or map tablespace ${oid} elsewhere with --tablespace-map ${oid}=DIR`, { cause: error });
    }
    placed.push({ oid, dir });
  }
  return placed;
}
