import { randomBytes } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';

import type pg from 'pg';

import { PgferryError } from '../../errors/pgferry-error.js';
import { type ArchiveLocation, storedName, writeArchiveFile } from '../archive/archive-files.js';
import { type Compression, compressionSuffix } from '../archive/compression.js';
import type { ManifestEncryption } from '../archive/encryption.js';
import { type Manifest, type ManifestFile, type PhysicalFile, type PhysicalSection, incrementalManifestFormatVersion, manifestFileName, manifestFormatVersion } from '../archive/manifest.js';
import type { BackupEvent, RunHooks } from '../backup/backup-events.js';
import { pgferryVersion } from '../backup/pgferry-version.js';
import { joinPath } from '../storage/archive-storage.js';
import { type Tablespace, baseBackupEvents } from './base-backup-protocol.js';
import type { IncrementalStart } from './incremental-parent.js';
import { uploadManifest } from './incremental-protocol.js';
import { type ReplicationSession, openReplicationSession } from './replication-client.js';
import { compareWithServerManifest, parseServerManifest } from './server-manifest.js';
import { TarScanner } from './tar-scanner.js';

export interface PhysicalBackupOptions {
  source: pg.ClientConfig;
  location: ArchiveLocation;
  compression: Compression;
  encryption?: { key: Buffer; manifest: ManifestEncryption } | undefined;
  /** Include the WAL from start to end in the backup, so it restores alone (default: true). */
  includeWal?: boolean | undefined;
  /** Compression blocks/threads at once: the server sends one stream, so this is where --jobs goes (default: 2). */
  jobs?: number | undefined;
  /** Backup label recorded by the server in backup_label (default: `pgferry <time>`). */
  label?: string | undefined;
  /** An incremental backup (PostgreSQL 17+): checks the server and picks the parent once the session is open (see incremental-parent.ts). */
  incremental?: ((session: ReplicationSession) => Promise<IncrementalStart>) | undefined;
}

/** A progress event per this many bytes received (one tar can take hours). */
const progressStep = 256 * 1024 * 1024;

/** The stored name of a tablespace's tar archive. */
export function archiveBaseName(tablespace: Tablespace): string {
  return tablespace.oid === null ? 'base.tar' : `pg_tblspc-${tablespace.oid}.tar`;
}

interface OpenArchive {
  index: number;
  input: PassThrough;
  done: Promise<ManifestFile>;
  rawBytes: number;
  name: string;
}

/**
 * A base backup through the replication protocol: every tablespace's tar goes through the
 * archive compression/encryption to storage as it arrives, each file inside hashed on the
 * way; the server's backup_manifest is then checked against what arrived (any difference
 * fails the backup) and kept. The pgferry manifest is written last.
 */
export async function backupPhysical(options: PhysicalBackupOptions, hooks: RunHooks<BackupEvent>): Promise<Manifest> {
  const session = await openReplicationSession(options.source);
  const abort = () => session.destroy();
  hooks.signal?.addEventListener('abort', abort, { once: true });
  try {
    return await backupWith(session, options, hooks);
  } catch (error) {
    // A broken or half-read stream: drop the socket, the server ends its side of the backup.
    session.destroy();
    hooks.signal?.throwIfAborted();
    throw error;
  } finally {
    hooks.signal?.removeEventListener('abort', abort);
    await session.close();
  }
}

/**
 * A temporary slot on this connection keeps the server from recycling WAL the backup
 * still needs (WAL is read at the end); it goes with the connection.
 */
async function reserveWal(session: ReplicationSession, hooks: RunHooks<BackupEvent>): Promise<void> {
  const name = `pgferry_base_${randomBytes(6).toString('hex')}`;
  const command =
    session.serverVersionNum >= 150000 ? `CREATE_REPLICATION_SLOT ${name} TEMPORARY PHYSICAL (RESERVE_WAL true)` : `CREATE_REPLICATION_SLOT ${name} TEMPORARY PHYSICAL RESERVE_WAL`;
  try {
    await session.client.query(command);
  } catch (error) {
    hooks.onEvent?.({
      type: 'log',
      level: 'warn',
      message: `could not reserve WAL with a temporary replication slot (${(error as Error).message}); if the server recycles WAL during the backup, the backup fails — raise max_replication_slots or wal_keep_size`,
    });
  }
}

/** Why a destroyed archive input takes no more data: its error (a failed storage write), else that it closed. */
function streamEnded(stream: PassThrough): Error {
  return stream.errored ?? new PgferryError('PGF_BACKUP_FAILED', 'the archive being written was closed before the server finished sending it');
}

/**
 * Waits for 'drain'. A stream destroyed before or during the wait never drains, and one
 * destroyed before the wait emits no error again: the wait ends on 'close' as well.
 */
function drained(stream: PassThrough): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (error?: Error) => {
      stream.off('drain', onDrain);
      stream.off('close', onClose);
      if (error) reject(error);
      else resolve();
    };
    const onDrain = () => done();
    const onClose = () => done(streamEnded(stream));
    stream.on('drain', onDrain);
    stream.on('close', onClose);
    if (stream.destroyed) onClose();
  });
}

async function backupWith(session: ReplicationSession, options: PhysicalBackupOptions, hooks: RunHooks<BackupEvent>): Promise<Manifest> {
  const createdAt = new Date().toISOString();
  const { location, compression } = options;
  const key = options.encryption?.key;
  const includeWal = options.includeWal ?? true;
  const label = options.label ?? `pgferry ${createdAt}`;
  const write = { compression, key, signal: hooks.signal, parallel: options.jobs ?? 2 };
  const incremental = await options.incremental?.(session);
  if (includeWal) await reserveWal(session, hooks);
  if (incremental) await uploadManifest(session, incremental.serverManifest, incremental.record.parent);

  const archives: PhysicalSection['archives'] = [];
  const files: ManifestFile[] = [];
  const contents: PhysicalFile[] = [];
  let start: { lsn: string; timeline: number } | undefined;
  let end: { lsn: string; timeline: number } | undefined;
  let current: OpenArchive | undefined;
  let manifestChunks: Buffer[] | undefined;
  const pending: Promise<unknown>[] = [];

  const openArchive = (tablespace: Tablespace) => {
    const index = archives.length;
    const name = storedName(archiveBaseName(tablespace), compression, key !== undefined, compressionSuffix[compression]);
    const prefix = tablespace.oid === null ? '' : `pg_tblspc/${tablespace.oid}/`;
    const input = new PassThrough({ highWaterMark: 1024 * 1024 });
    const scanner = new TarScanner(name, { onFile: (file) => contents.push({ archive: index, path: prefix + file.path, size: file.size, sha256: file.sha256 }) });
    input.on('error', (error) => scanner.destroy(error));
    input.pipe(scanner);
    const done = writeArchiveFile(location, name, scanner, {
      ...write,
      onChunks: (chunks) => ((archives[index] as PhysicalSection['archives'][number]).chunks = chunks),
    });
    // A failed write must also end a wait for 'drain' (see feed): nothing reads the input any more.
    pending.push(done.catch((error: unknown) => input.destroy(error as Error)));
    archives.push({ tablespace_oid: tablespace.oid, location: tablespace.location, file: name, raw_bytes: 0 });
    current = { index, input, done, rawBytes: 0, name };
  };

  const closeArchive = async () => {
    const archive = current;
    if (!archive) return;
    current = undefined;
    archive.input.end();
    const file = await archive.done;
    files.push(file);
    (archives[archive.index] as PhysicalSection['archives'][number]).raw_bytes = archive.rawBytes;
    hooks.onEvent?.({ type: 'file:done', database: '(cluster)', file: archive.name, bytes: archive.rawBytes, storedBytes: file.size });
  };

  const feed = async (archive: OpenArchive, chunk: Buffer) => {
    const before = Math.floor(archive.rawBytes / progressStep);
    archive.rawBytes += chunk.length;
    if (Math.floor(archive.rawBytes / progressStep) > before) hooks.onEvent?.({ type: 'file:progress', database: '(cluster)', file: archive.name, bytes: archive.rawBytes });
    if (archive.input.destroyed) throw streamEnded(archive.input);
    if (archive.input.write(chunk)) return;
    // Wait for storage to catch up; a failed write destroys the input, which ends the wait with its error.
    await drained(archive.input);
  };

  try {
    for await (const event of baseBackupEvents(session.client, session.serverVersionNum, { label, includeWal, incremental: incremental !== undefined })) {
      switch (event.type) {
        case 'start':
          start = { lsn: event.lsn, timeline: event.timeline };
          break;
        case 'tablespaces':
          for (const tablespace of event.tablespaces) {
            if (tablespace.oid !== null) hooks.onEvent?.({ type: 'log', level: 'info', message: `tablespace ${tablespace.oid} at ${tablespace.location ?? '?'} is backed up as ${archiveBaseName(tablespace)}` });
          }
          break;
        case 'archive':
          await closeArchive();
          openArchive(event.tablespace);
          break;
        case 'manifest':
          await closeArchive();
          manifestChunks = [];
          break;
        case 'data':
          if (manifestChunks) manifestChunks.push(event.chunk);
          else if (current) await feed(current, event.chunk);
          else throw new PgferryError('PGF_BACKUP_FAILED', 'the server sent backup data outside any archive; the protocol exchange is out of step');
          break;
        case 'copy-done':
          await closeArchive();
          break;
        case 'end':
          end = { lsn: event.lsn, timeline: event.timeline };
          break;
        case 'notice':
          hooks.onEvent?.({ type: 'log', level: event.severity === 'WARNING' ? 'warn' : 'info', message: `server: ${event.message}` });
          break;
      }
    }
    await closeArchive();
  } catch (error) {
    current?.input.destroy(error as Error);
    await Promise.all(pending);
    throw error;
  }

  if (!start || !end) throw new PgferryError('PGF_BACKUP_FAILED', 'the base backup ended without its start or end position');
  if (!manifestChunks) throw new PgferryError('PGF_BACKUP_FAILED', 'the server sent no backup_manifest; the base backup cannot be checked, so it is not kept');
  const manifestBytes = Buffer.concat(manifestChunks);
  const serverManifest = parseServerManifest(manifestBytes);
  const problems = compareWithServerManifest(contents, serverManifest);
  const walRange = { first: serverManifest.walRanges[0], last: serverManifest.walRanges.at(-1) };
  if (walRange.first?.startLsn !== start.lsn || walRange.last?.endLsn !== end.lsn) {
    problems.push(`WAL range: the server's manifest says ${walRange.first?.startLsn ?? '?'} … ${walRange.last?.endLsn ?? '?'}, the backup ran ${start.lsn} … ${end.lsn}`);
  }
  if (problems.length > 0) {
    throw new PgferryError(
      'PGF_BACKUP_FAILED',
      `the received files do not match the server's backup_manifest (${problems.length} ${problems.length === 1 ? 'difference' : 'differences'}; first: ${problems.slice(0, 3).join('; ')}); the backup is not kept — run it again`,
      { details: { differences: problems.slice(0, 20) } },
    );
  }
  const serverManifestName = storedName('backup_manifest', compression, key !== undefined, compressionSuffix[compression]);
  files.push(await writeArchiveFile(location, serverManifestName, Readable.from([manifestBytes]), write));

  const manifest: Manifest = {
    format: 'physical',
    format_version: incremental ? incrementalManifestFormatVersion : manifestFormatVersion,
    created_at: createdAt,
    finished_at: new Date().toISOString(),
    pgferry_version: pgferryVersion,
    source: { server_version: session.serverVersion, server_version_num: session.serverVersionNum, database: null },
    compression,
    encryption: options.encryption?.manifest ?? null,
    schemas: [],
    tables: [],
    files,
    physical: {
      label,
      system_identifier: session.systemIdentifier,
      server_major: Math.floor(session.serverVersionNum / 10000),
      timeline: start.timeline,
      start_lsn: start.lsn,
      end_lsn: end.lsn,
      end_timeline: end.timeline,
      wal: includeWal ? 'included' : 'archive',
      archives,
      server_manifest: serverManifestName,
      contents,
      ...(incremental ? { incremental: incremental.record } : {}),
    },
    warnings: [],
  };
  await location.storage.write(joinPath(location.path, manifestFileName), Readable.from([Buffer.from(JSON.stringify(manifest, null, 2))]));
  return manifest;
}
