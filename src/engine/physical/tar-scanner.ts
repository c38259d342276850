import { type Hash, createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

import { PgferryError } from '../../errors/pgferry-error.js';

/*
 * Reads the tar archives PostgreSQL's BASE_BACKUP sends (ustar; sizes of 8 GiB and more in
 * base-256, as PostgreSQL writes them): directories, regular files and symlinks. Used both
 * as a pass-through while a backup streams to storage (hashing every file on the way) and
 * while a restore writes the files out.
 */

export const tarBlock = 512;

/** Zero bytes after a member's data, up to the next 512-byte block. */
export const tarPadding = (size: number): number => (tarBlock - (size % tarBlock)) % tarBlock;

export type TarEntryType = 'file' | 'directory' | 'symlink';

export interface TarHeader {
  path: string;
  type: TarEntryType;
  size: number;
  mode: number;
  /** Symlink target. */
  target?: string | undefined;
}

export interface ScannedFile {
  path: string;
  size: number;
  sha256: string;
}

function text(buffer: Buffer, start: number, length: number): string {
  const slice = buffer.subarray(start, start + length);
  const end = slice.indexOf(0);
  return slice.toString('utf8', 0, end < 0 ? slice.length : end);
}

function number(buffer: Buffer, start: number, length: number, what: string): number {
  const first = buffer[start] ?? 0;
  if (first & 0x80) {
    // Base-256: PostgreSQL's print_tar_number for values that do not fit in octal.
    let value = 0;
    for (let i = start + 1; i < start + length; i += 1) value = value * 256 + (buffer[i] ?? 0);
    return value;
  }
  const digits = text(buffer, start, length).trim();
  const value = digits === '' ? 0 : Number.parseInt(digits, 8);
  if (!Number.isFinite(value)) throw new PgferryError('PGF_ARCHIVE_CORRUPT', `a tar header holds an unreadable ${what}`);
  return value;
}

/** The entry a 512-byte header describes; undefined for the all-zero end-of-archive block. */
export function parseTarHeader(header: Buffer, archive: string): TarHeader | undefined {
  if (header.every((byte) => byte === 0)) return undefined;
  let stored = 0;
  for (let i = 0; i < tarBlock; i += 1) stored += i >= 148 && i < 156 ? 32 : (header[i] ?? 0);
  if (stored !== number(header, 148, 8, 'checksum')) {
    throw new PgferryError('PGF_ARCHIVE_CORRUPT', `${archive}: a tar header fails its checksum; the archive is damaged — restore it from another copy`);
  }
  const name = text(header, 0, 100);
  const prefix = header.subarray(257, 262).toString('latin1') === 'ustar' ? text(header, 345, 155) : '';
  const path = (prefix ? `${prefix}/${name}` : name).replace(/^\.\//, '').replace(/\/$/, '');
  const flag = String.fromCharCode(header[156] ?? 0);
  const type: TarEntryType | undefined = flag === '0' || flag === '\0' ? 'file' : flag === '5' ? 'directory' : flag === '2' ? 'symlink' : undefined;
  if (!type) throw new PgferryError('PGF_ARCHIVE_CORRUPT', `${archive}: entry ${path} has tar type "${flag}", which a base backup never holds`);
  if (path === '' || path.startsWith('/') || path.split('/').includes('..')) {
    throw new PgferryError('PGF_ARCHIVE_CORRUPT', `${archive}: entry "${path}" has an unsafe path; the archive was not written by PostgreSQL`);
  }
  return {
    path,
    type,
    size: type === 'file' ? number(header, 124, 12, 'size') : 0,
    mode: number(header, 100, 8, 'mode') & 0o7777,
    ...(type === 'symlink' ? { target: text(header, 157, 100) } : {}),
  };
}

interface OpenFile {
  header: TarHeader;
  left: number;
  hash: Hash;
}

export interface TarHandlers {
  onEntry?: (header: TarHeader) => void;
  /** Each file's size and sha256 once its last byte went through. */
  onFile?: (file: ScannedFile) => void;
}

/**
 * Passes the bytes through unchanged while parsing the tar framing. A PostgreSQL 13/14
 * archive ends without the two zero blocks (pg_basebackup adds them); `finished` tells
 * whether the stream ended on an entry boundary.
 */
export class TarScanner extends Transform {
  readonly #archive: string;
  readonly #handlers: TarHandlers;
  #header = Buffer.alloc(0);
  #current: OpenFile | undefined;
  #padding = 0;
  #ended = false;

  constructor(archive: string, handlers: TarHandlers) {
    super();
    this.#archive = archive;
    this.#handlers = handlers;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      this.#scan(chunk);
    } catch (error) {
      callback(error as Error);
      return;
    }
    callback(null, chunk);
  }

  #scan(chunk: Buffer): void {
    let offset = 0;
    while (offset < chunk.length && !this.#ended) {
      if (this.#current) {
        const take = Math.min(this.#current.left, chunk.length - offset);
        this.#current.hash.update(chunk.subarray(offset, offset + take));
        this.#current.left -= take;
        offset += take;
        if (this.#current.left === 0) this.#finishFile();
        continue;
      }
      if (this.#padding > 0) {
        const skip = Math.min(this.#padding, chunk.length - offset);
        this.#padding -= skip;
        offset += skip;
        continue;
      }
      const need = tarBlock - this.#header.length;
      const piece = chunk.subarray(offset, offset + need);
      this.#header = this.#header.length === 0 ? Buffer.from(piece) : Buffer.concat([this.#header, piece]);
      offset += piece.length;
      if (this.#header.length < tarBlock) continue;
      const header = parseTarHeader(this.#header, this.#archive);
      this.#header = Buffer.alloc(0);
      if (!header) {
        this.#ended = true;
        continue;
      }
      this.#handlers.onEntry?.(header);
      if (header.type === 'file') {
        this.#current = { header, left: header.size, hash: createHash('sha256') };
        if (header.size === 0) this.#finishFile();
      }
    }
  }

  #finishFile(): void {
    const current = this.#current as OpenFile;
    this.#current = undefined;
    this.#padding = tarPadding(current.header.size);
    this.#handlers.onFile?.({ path: current.header.path, size: current.header.size, sha256: current.hash.digest('hex') });
  }

  override _flush(callback: TransformCallback): void {
    if (this.#current || this.#header.length > 0) {
      const where = this.#current ? `inside ${this.#current.header.path}` : 'inside a header';
      callback(new PgferryError('PGF_ARCHIVE_CORRUPT', `${this.#archive} ends ${where}; the archive is truncated`));
      return;
    }
    callback();
  }
}
