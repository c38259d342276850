import { createHash } from 'node:crypto';
import { type FileHandle, open } from 'node:fs/promises';
import { type Duplex, PassThrough, type Readable, type Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import { PgferryError } from '../../errors/pgferry-error.js';
import { type ArchiveStorage, joinPath } from '../storage/archive-storage.js';
import type { ArchiveChunks } from './archive-chunks.js';
import { type Compression, createChunkedCompressStream, createCompressStream, createDecompressStream, detectZstd, zstdDecodeFile } from './compression.js';
import { DecryptStream, EncryptStream } from './encryption.js';
import { HashStream } from './hash-stream.js';
import type { ManifestFile } from './manifest.js';

/** Where one archive lives: a storage and the archive's directory inside it. */
export interface ArchiveLocation {
  storage: ArchiveStorage;
  path: string;
}

export interface WriteOptions {
  compression: Compression;
  /** Archive key when the archive is encrypted. */
  key?: Buffer | undefined;
  signal?: AbortSignal | undefined;
  /** Compression work in flight at once (see createCompressStream; default: its own). */
  parallel?: number | undefined;
  /**
   * Compress in independently decodable chunks (gzip or zstd; see archive-chunks.ts) and
   * report where they are once the file is written, for a reader that decodes several at once.
   */
  onChunks?: ((chunks: ArchiveChunks) => void) | undefined;
}

/** The stored name of a file: compression and encryption show in the suffix. */
export function storedName(base: string, compression: Compression, encrypted: boolean, compressionSuffix: string): string {
  return `${base}${compression === 'none' ? '' : compressionSuffix}${encrypted ? '.enc' : ''}`;
}

/**
 * Streams `source` → compress → encrypt → sha256 → storage. Returns the manifest entry of
 * the stored bytes (what verify re-hashes without needing the key).
 */
export async function writeArchiveFile(
  location: ArchiveLocation,
  relative: string,
  source: Readable,
  options: WriteOptions,
): Promise<ManifestFile> {
  const hash = new HashStream();
  const stages: (Transform | Duplex)[] = [];
  const chunked = options.onChunks && options.compression !== 'none' ? createChunkedCompressStream(options.compression, options.parallel) : undefined;
  if (chunked) stages.push(chunked);
  else if (options.compression !== 'none') stages.push(createCompressStream(options.compression, undefined, options.parallel));
  if (options.key) stages.push(new EncryptStream(options.key));
  stages.push(hash);
  const body = stages.reduce<Readable>((stream, stage) => stream.pipe(stage as Duplex), source);
  // Errors of every stage must reach the writer: forward them onto the last stream.
  for (const stream of [source, ...stages]) stream.on('error', (error) => hash.destroy(error));
  await location.storage.write(joinPath(location.path, relative), body, options.signal);
  if (chunked) options.onChunks?.(chunked.chunks());
  return { path: relative, size: hash.bytes, sha256: hash.sha256 };
}

export interface ReadOptions {
  compression: Compression;
  key?: Buffer | undefined;
}

/**
 * Opens an archive file for reading: stored bytes are hashed as they stream and compared
 * with the manifest at the end (the returned stream errors with PGF_ARCHIVE_CORRUPT, naming
 * the file, before it ends), then decrypted and decompressed.
 */
export async function readArchiveFile(location: ArchiveLocation, file: ManifestFile, options: ReadOptions): Promise<Readable> {
  const local = options.compression === 'zstd' && !options.key ? location.storage.localFile?.(joinPath(location.path, file.path)) : undefined;
  if (local !== undefined && detectZstd().via === 'binary') return readLocalZstd(local, file);
  const raw = await location.storage.read(joinPath(location.path, file.path));
  const check = new VerifyingStream(file, location.storage.describe(joinPath(location.path, file.path)));
  let stream: Readable = raw.pipe(check);
  raw.on('error', (error) => check.destroy(error));
  if (options.key) {
    const decrypt = new DecryptStream(options.key, file.path);
    stream.on('error', (error) => decrypt.destroy(error));
    stream = stream.pipe(decrypt);
  }
  if (options.compression !== 'none') {
    const decompress = createDecompressStream(options.compression);
    const upstream = stream;
    let upstreamError: Error | undefined;
    upstream.on('error', (error) => {
      upstreamError = error;
      decompress.destroy(error);
    });
    // A damaged file usually breaks the decoder before the hash is compared at the end:
    // report that as the named file being corrupt, not as a bare zlib message.
    const decoded = new PassThrough();
    decompress.on('error', (error) => decoded.destroy(error === upstreamError ? error : undecodableFile(file.path, `its ${options.compression} data`, error)));
    stream = upstream.pipe(decompress as Duplex).pipe(decoded);
  }
  return stream;
}

/**
 * A local zstd file decoded by the `zstd` binary reading the file itself; the stored bytes
 * are hashed meanwhile from the same open file (positional reads leave zstd's offset alone)
 * and the decoded stream ends only once they matched the manifest, as with the stream path.
 */
/** Opens a stored file on local storage for reading; a missing one is PGF_NOT_FOUND naming it. */
export function openLocalArchive(target: string): Promise<FileHandle> {
  return open(target, 'r').catch((error: NodeJS.ErrnoException) => {
    throw error.code === 'ENOENT' ? new PgferryError('PGF_NOT_FOUND', `${target} does not exist`) : error;
  });
}

async function readLocalZstd(target: string, file: ManifestFile): Promise<Readable> {
  const handle = await openLocalArchive(target);
  const decoder = zstdDecodeFile(handle.fd) as Readable;
  const verified = (async () => {
    const hash = createHash('sha256');
    // One buffer read into again and again: no garbage per MiB.
    const buffer = Buffer.allocUnsafe(1024 * 1024);
    let size = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, size);
      if (bytesRead === 0) break;
      hash.update(buffer.subarray(0, bytesRead));
      size += bytesRead;
    }
    const sha256 = hash.digest('hex');
    if (size !== file.size || sha256 !== file.sha256) throw corruptFile(file, target, size, sha256);
  })();
  void verified.finally(() => handle.close()).catch(() => undefined);
  const decoded = new PassThrough({ highWaterMark: 1024 * 1024 });
  // A damaged file fails its hash: report that first, even when zstd also fails on it.
  verified.catch((error: unknown) => decoded.destroy(error as Error));
  decoder.on('error', (error) => {
    verified.then(() => decoded.destroy(undecodableFile(file.path, 'its zstd data', error)), () => undefined);
  });
  decoder.on('end', () => {
    verified.then(() => decoded.end(), () => undefined);
  });
  decoder.pipe(decoded, { end: false });
  decoded.on('close', () => decoder.destroy());
  return decoded;
}

/** A stored file whose compressed data (`what`: "its zstd data", "a chunk") does not decode. */
export function undecodableFile(file: string, what: string, cause: Error): PgferryError {
  return new PgferryError('PGF_ARCHIVE_CORRUPT', `archive file ${file} is corrupt: ${what} does not decode (${cause.message}); restore it from another copy of the backup`, {
    details: { file },
    cause,
  });
}

class VerifyingStream extends HashStream {
  constructor(
    readonly file: ManifestFile,
    readonly where: string,
  ) {
    super();
  }

  override _flush(callback: (error?: Error | null) => void): void {
    super._flush((error) => {
      if (error) return callback(error);
      if (this.bytes !== this.file.size || this.sha256 !== this.file.sha256) {
        return callback(corruptFile(this.file, this.where, this.bytes, this.sha256));
      }
      callback();
    });
  }
}

export function corruptFile(file: ManifestFile, where: string, size: number, sha256: string): PgferryError {
  const reason = size !== file.size ? `size ${size} bytes, manifest says ${file.size}` : `sha256 ${sha256.slice(0, 12)}…, manifest says ${file.sha256.slice(0, 12)}…`;
  return new PgferryError('PGF_ARCHIVE_CORRUPT', `archive file ${file.path} is corrupt (${reason}) at ${where}; restore it from another copy of the backup`, {
    details: { file: file.path },
  });
}

/** Reads a whole (small) archive file as text, verified and decoded. */
export async function readArchiveText(location: ArchiveLocation, file: ManifestFile, options: ReadOptions): Promise<string> {
  const stream = await readArchiveFile(location, file, options);
  const chunks: Buffer[] = [];
  await pipeline(
    stream,
    new Writable({
      write(chunk: Buffer, _encoding, callback) {
        chunks.push(chunk);
        callback();
      },
    }),
  );
  return Buffer.concat(chunks).toString('utf8');
}
