import { createHash, randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type Duplex, PassThrough, Readable, type Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import { PgferryError } from '../../errors/pgferry-error.js';
import { type Compression, compressionSuffix, createCompressStream, createDecompressStream } from '../archive/compression.js';
import { DecryptStream, EncryptStream } from '../archive/encryption.js';
import { type ArchiveStorage, joinPath, readText } from '../storage/archive-storage.js';
import { readWalKey, walKey } from './wal-key.js';
import { metaPath, systemPrefix, timelineOfFile, timelinePrefix } from './wal-layout.js';

/** What `<file>.json` says about one stored WAL file. */
export interface WalFileMeta {
  file: string;
  timeline: number;
  /** Bytes of the WAL file itself (before compression and encryption). */
  size: number;
  /** sha256 of the WAL file itself: two uploads of the same file compare equal. */
  sha256: string;
  compression: Compression;
  encrypted: boolean;
  /** The stored object, relative to the storage root. */
  object: string;
  uploadedAt: string;
}

export interface WalStoreOptions {
  compression: Compression;
  /** Encrypts with the system's WAL key (made on first use) when set. */
  encryptionSecret?: string | undefined;
}

export type UploadOutcome = 'uploaded' | 'already-stored';

/** `pipeline` over a list whose length is known only at run time. */
const chain = (streams: (Readable | Duplex | Transform | Writable)[]) =>
  (pipeline as unknown as (streams: unknown[]) => Promise<void>)(streams);

async function readMeta(storage: ArchiveStorage, systemId: string, timeline: number, file: string): Promise<WalFileMeta | undefined> {
  const place = metaPath(systemId, timeline, file);
  if (!(await storage.exists(place))) return undefined;
  return JSON.parse(await readText(storage, place)) as WalFileMeta;
}

function timelineOf(file: string): number {
  const timeline = timelineOfFile(file);
  if (timeline === undefined) throw new PgferryError('PGF_VALIDATION_FAILED', `"${file}" is not a WAL file name`);
  return timeline;
}

/**
 * Stores one complete WAL file once. The same contents again is a no-op (archive_command is
 * retried, the streamer restarts); different contents under the same name is refused loudly:
 * silently keeping either copy could break the chain a restore relies on.
 */
export async function uploadWalFile(storage: ArchiveStorage, systemId: string, file: string, contents: Buffer, options: WalStoreOptions): Promise<UploadOutcome> {
  const timeline = timelineOf(file);
  const sha256 = createHash('sha256').update(contents).digest('hex');
  const existing = await readMeta(storage, systemId, timeline, file);
  if (existing) {
    if (existing.sha256 === sha256 && existing.size === contents.length) return 'already-stored';
    throw new PgferryError(
      'PGF_WAL_SEGMENT_CONFLICT',
      `WAL file ${file} is already in ${storage.describe(existing.object)} with different contents (stored sha256 ${existing.sha256.slice(0, 12)}…, new ${sha256.slice(0, 12)}…); nothing was overwritten — check that no other cluster with system id ${systemId} archives to this storage`,
      { details: { file, systemId } },
    );
  }
  const key = options.encryptionSecret ? await walKey(storage, systemId, options.encryptionSecret) : undefined;
  const object = joinPath(timelinePrefix(systemId, timeline), `${file}${compressionSuffix[options.compression]}${key ? '.enc' : ''}`);
  const stages: (Transform | Duplex)[] = [];
  if (options.compression !== 'none') stages.push(createCompressStream(options.compression));
  if (key) stages.push(new EncryptStream(key));
  const body = new PassThrough();
  const encoding = chain([Readable.from([contents]), ...stages, body]);
  await Promise.all([storage.write(object, body), encoding]).catch((error: unknown) => {
    body.destroy();
    throw error;
  });
  const meta: WalFileMeta = { file, timeline, size: contents.length, sha256, compression: options.compression, encrypted: key !== undefined, object, uploadedAt: new Date().toISOString() };
  await storage.write(metaPath(systemId, timeline, file), Readable.from([Buffer.from(`${JSON.stringify(meta, null, 2)}\n`)]));
  return 'uploaded';
}

/**
 * Writes one stored WAL file to `destination` (through a temporary name, so PostgreSQL never
 * sees half a segment), after checking its sha256. Missing → PGF_WAL_SEGMENT_MISSING.
 */
export async function fetchWalFile(storage: ArchiveStorage, systemId: string, file: string, destination: string, encryptionSecret: string | undefined): Promise<WalFileMeta> {
  const timeline = timelineOf(file);
  const meta = await readMeta(storage, systemId, timeline, file);
  if (!meta) {
    throw new PgferryError('PGF_WAL_SEGMENT_MISSING', `WAL file ${file} of system ${systemId} is not in ${storage.describe(timelinePrefix(systemId, timeline))}`, {
      details: { file, systemId },
    });
  }
  const stages: (Transform | Duplex)[] = [];
  if (meta.encrypted) stages.push(new DecryptStream(await readWalKey(storage, systemId, encryptionSecret), storage.describe(meta.object)));
  if (meta.compression !== 'none') stages.push(createDecompressStream(meta.compression));
  const chunks: Buffer[] = [];
  const collect = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk);
      callback();
    },
  });
  await chain([await storage.read(meta.object), ...stages, collect]);
  const contents = Buffer.concat(chunks);
  const sha256 = createHash('sha256').update(contents).digest('hex');
  if (sha256 !== meta.sha256 || contents.length !== meta.size) {
    throw new PgferryError('PGF_ARCHIVE_CORRUPT', `WAL file ${storage.describe(meta.object)} does not match its recorded sha256; it was altered or damaged — restore it from another copy`, {
      details: { file },
    });
  }
  await mkdir(path.dirname(destination), { recursive: true });
  const temporary = `${destination}.pgferry-${randomBytes(4).toString('hex')}`;
  try {
    await writeFile(temporary, contents);
    await rename(temporary, destination);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
  return meta;
}

export interface StoredWalFile {
  file: string;
  timeline: number;
}

/** Every stored WAL file of a system whose upload finished (its `.json` is there), by timeline then name; one listing, no reads. */
export async function listWalFiles(storage: ArchiveStorage, systemId: string): Promise<StoredWalFile[]> {
  const files: StoredWalFile[] = [];
  for (const object of await storage.list(systemPrefix(systemId))) {
    const match = /\/([0-9A-F]{8})\/([^/]+)\.json$/.exec(object.path);
    if (match) files.push({ timeline: Number.parseInt(match[1] as string, 16), file: match[2] as string });
  }
  return files.sort((a, b) => a.timeline - b.timeline || a.file.localeCompare(b.file));
}
