import type { Readable } from 'node:stream';

import { PgferryError } from '../../errors/pgferry-error.js';
import { type TarHeader, parseTarHeader, tarBlock, tarPadding } from './tar-scanner.js';

/**
 * Pulls a tar archive entry by entry: `next()` gives the next header (skipping what is left
 * of the previous file's body and its padding), `read(n)` and `body()` give the current
 * file's bytes. For readers that need a file's bytes in exact pieces (incremental files:
 * header, block numbers, then whole blocks).
 */
export class TarReader {
  readonly #iterator: AsyncIterator<Buffer>;
  readonly #archive: string;
  #buffer: Buffer = Buffer.alloc(0);
  #left = 0;
  #padding = 0;
  #current: TarHeader | undefined;
  #exhausted = false;

  constructor(stream: Readable, archive: string) {
    this.#iterator = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    this.#archive = archive;
  }

  async #fill(need: number): Promise<boolean> {
    while (this.#buffer.length < need) {
      const next = await this.#iterator.next();
      if (next.done) {
        this.#exhausted = true;
        return false;
      }
      this.#buffer = this.#buffer.length === 0 ? next.value : Buffer.concat([this.#buffer, next.value]);
    }
    return true;
  }

  #truncated(): PgferryError {
    return new PgferryError('PGF_ARCHIVE_CORRUPT', `${this.#archive} ends inside ${this.#current?.path ?? 'a header'}; the archive is truncated`);
  }

  async #skip(bytes: number): Promise<void> {
    let left = bytes;
    while (left > 0) {
      if (this.#buffer.length === 0 && !(await this.#fill(1))) throw this.#truncated();
      const take = Math.min(left, this.#buffer.length);
      this.#buffer = this.#buffer.subarray(take);
      left -= take;
    }
  }

  /** The next entry, or undefined at the end of the archive (PostgreSQL 13/14 archives end without the zero blocks). */
  async next(): Promise<TarHeader | undefined> {
    await this.#skip(this.#left + this.#padding);
    this.#left = 0;
    this.#padding = 0;
    this.#current = undefined;
    if (!(await this.#fill(tarBlock))) {
      if (this.#buffer.length > 0) throw this.#truncated();
      return undefined;
    }
    const header = parseTarHeader(this.#buffer.subarray(0, tarBlock), this.#archive);
    this.#buffer = this.#buffer.subarray(tarBlock);
    if (!header) return undefined;
    this.#current = header;
    this.#left = header.size;
    this.#padding = tarPadding(header.size);
    return header;
  }

  /** Exactly `bytes` more of the current file. */
  async read(bytes: number): Promise<Buffer> {
    if (bytes > this.#left) throw new PgferryError('PGF_ARCHIVE_CORRUPT', `${this.#archive}: ${this.#current?.path ?? '?'} is shorter than its contents say`);
    if (!(await this.#fill(bytes))) throw this.#truncated();
    const out = this.#buffer.subarray(0, bytes);
    this.#buffer = this.#buffer.subarray(bytes);
    this.#left -= bytes;
    return out;
  }

  /** The rest of the current file, in the pieces it arrives in. */
  async *body(): AsyncGenerator<Buffer> {
    while (this.#left > 0) {
      if (this.#buffer.length === 0 && !(await this.#fill(1))) throw this.#truncated();
      const take = this.#buffer.subarray(0, Math.min(this.#left, this.#buffer.length));
      this.#buffer = this.#buffer.subarray(take.length);
      this.#left -= take.length;
      yield take;
    }
  }

  /** Reads the stream to its end (zero padding), so its own checks (stored sha256, authentication) run. */
  async drain(): Promise<void> {
    if (this.#exhausted) return;
    while (!(await this.#iterator.next()).done);
    this.#exhausted = true;
  }
}
