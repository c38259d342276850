import { Readable } from 'node:stream';

import { PgferryError } from '../../errors/pgferry-error.js';

/*
 * Minimal POSIX ustar, enough to download an archive directory as one file and upload it
 * back: regular files only, names up to 255 bytes (prefix + name), sizes below 8 GiB per
 * file (octal size field). Streams both ways; nothing is buffered beyond one chunk.
 */

const block = 512;

export interface TarEntry {
  path: string;
  size: number;
  open: () => Promise<Readable>;
}

function octal(value: number, length: number): string {
  return `${value.toString(8).padStart(length - 1, '0')}\0`;
}

function header(path: string, size: number, mtime: number): Buffer {
  if (size >= 8 ** 11) throw new PgferryError('PGF_VALIDATION_FAILED', `${path} is too large for a tar entry (8 GiB); download the files one by one`);
  let name = path;
  let prefix = '';
  if (Buffer.byteLength(name) > 100) {
    const cut = path.lastIndexOf('/', 155);
    prefix = path.slice(0, cut);
    name = path.slice(cut + 1);
    if (cut < 0 || Buffer.byteLength(name) > 100 || Buffer.byteLength(prefix) > 155) {
      throw new PgferryError('PGF_VALIDATION_FAILED', `${path} is too long for a tar entry`);
    }
  }
  const buffer = Buffer.alloc(block);
  buffer.write(name, 0, 100);
  buffer.write(octal(0o644, 8), 100);
  buffer.write(octal(0, 8), 108);
  buffer.write(octal(0, 8), 116);
  buffer.write(octal(size, 12), 124);
  buffer.write(octal(mtime, 12), 136);
  buffer.write('        ', 148);
  buffer.write('0', 156);
  buffer.write('ustar\u000000', 257);
  buffer.write(prefix, 345, 155);
  let sum = 0;
  for (const byte of buffer) sum += byte;
  buffer.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return buffer;
}

/** A tar stream of `entries`, opened one at a time. */
export function createTarStream(entries: readonly TarEntry[]): Readable {
  const mtime = Math.floor(Date.now() / 1000);
  async function* generate(): AsyncGenerator<Buffer> {
    for (const entry of entries) {
      yield header(entry.path, entry.size, mtime);
      let written = 0;
      for await (const chunk of await entry.open()) {
        written += (chunk as Buffer).length;
        yield chunk as Buffer;
      }
      if (written !== entry.size) throw new PgferryError('PGF_ARCHIVE_CORRUPT', `${entry.path} changed size while being read (${written} bytes, expected ${entry.size})`);
      const pad = (block - (entry.size % block)) % block;
      if (pad > 0) yield Buffer.alloc(pad);
    }
    yield Buffer.alloc(block * 2);
  }
  return Readable.from(generate());
}

/** Reads exact byte counts from an async chunk source. */
class ByteReader {
  #buffer: Buffer = Buffer.alloc(0);
  readonly #iterator: AsyncIterator<Buffer>;
  #done = false;

  constructor(source: AsyncIterable<Buffer>) {
    this.#iterator = source[Symbol.asyncIterator]();
  }

  async #fill(): Promise<boolean> {
    if (this.#done) return false;
    const next = await this.#iterator.next();
    if (next.done) {
      this.#done = true;
      return false;
    }
    this.#buffer = this.#buffer.length === 0 ? Buffer.from(next.value) : Buffer.concat([this.#buffer, next.value]);
    return true;
  }

  async exact(length: number): Promise<Buffer | undefined> {
    while (this.#buffer.length < length) if (!(await this.#fill())) return undefined;
    const out = this.#buffer.subarray(0, length);
    this.#buffer = this.#buffer.subarray(length);
    return out;
  }

  async *chunks(length: number): AsyncGenerator<Buffer> {
    let left = length;
    while (left > 0) {
      if (this.#buffer.length === 0 && !(await this.#fill())) throw new PgferryError('PGF_VALIDATION_FAILED', 'the tar upload ended in the middle of a file');
      const take = this.#buffer.subarray(0, left);
      this.#buffer = this.#buffer.subarray(take.length);
      left -= take.length;
      yield take;
    }
  }
}

const field = (buffer: Buffer, start: number, length: number) => buffer.subarray(start, start + length).toString('utf8').replace(/\0.*$/s, '');

/**
 * Calls `onFile` for each regular file of a tar stream, in order; its body must be consumed
 * before the next file is read. Paths are checked: no absolute paths, no `..`.
 */
export async function extractTar(source: AsyncIterable<Buffer>, onFile: (path: string, size: number, body: Readable) => Promise<void>): Promise<number> {
  const reader = new ByteReader(source);
  let files = 0;
  for (;;) {
    const head = await reader.exact(block);
    if (!head || head.every((byte) => byte === 0)) return files;
    const name = field(head, 0, 100);
    const prefix = field(head, 345, 155);
    const path = prefix ? `${prefix}/${name}` : name;
    const size = Number.parseInt(field(head, 124, 12).trim() || '0', 8);
    const type = String.fromCharCode(head[156] ?? 0);
    if (Number.isNaN(size)) throw new PgferryError('PGF_VALIDATION_FAILED', `the tar upload has an unreadable header for ${path}`);
    const pad = (block - (size % block)) % block;
    if (type === '0' || type === '\0') {
      if (path.startsWith('/') || path.split('/').includes('..')) throw new PgferryError('PGF_VALIDATION_FAILED', `the tar upload holds an unsafe path ${path}`);
      await onFile(path.replace(/^\.\//, ''), size, Readable.from(reader.chunks(size)));
      files += 1;
    } else {
      for await (const chunk of reader.chunks(size)) void chunk;
    }
    if (pad > 0) await reader.exact(pad);
  }
}
