import { Transform, type TransformCallback } from 'node:stream';
import zlib from 'node:zlib';

import { type ArchiveChunks, type ChunkRecorder, chunkRawBytes } from './archive-chunks.js';

/** Output chunk of zlib calls: each chunk is one trip to the thread pool, so 256 KiB, not 16 KiB. */
export const zlibChunkBytes = 256 * 1024;

export interface BlockGzipOptions {
  level: number;
  /** Input bytes per gzip member (default 1 MiB). */
  blockBytes?: number;
  /** Members compressed at once on the thread pool (default 2). */
  inFlight?: number;
  /**
   * Full blocks waiting for a free compression slot (default 2): a compression thread
   * that finishes finds the next block ready instead of waiting for the input to fill one.
   */
  ready?: number;
}

const sampleBytes = 64 * 1024;
/** Level-1 deflate of a sample saving less than this fraction: the block is stored as is. */
const incompressible = 0.95;

/** The level for one block: 0 (stored) when a sample of it does not compress (media, ciphertext). */
export function blockLevel(block: Buffer, level: number): number {
  if (level === 0 || block.length < 1024) return level;
  const sample = block.subarray(0, sampleBytes);
  return zlib.deflateRawSync(sample, { level: 1 }).length > sample.length * incompressible ? 0 : level;
}

/**
 * gzip as a sequence of independent members of `blockBytes` input each, the way pigz and
 * bgzip write it: every gzip reader (gunzip, `gzip -dc`, Node's zlib) reads the
 * concatenation as one stream. Each member is one thread-pool task, so one large table is
 * compressed on several cores, and a block that does not compress (bytea holding images
 * or ciphertext) is stored rather than run through deflate for nothing.
 */
export class BlockGzip extends Transform implements ChunkRecorder {
  readonly #level: number;
  readonly #blockBytes: number;
  readonly #inFlight: number;
  readonly #ready: number;
  #block: Buffer;
  #filled = 0;
  readonly #pending: { block: Buffer; member: Promise<Buffer> }[] = [];
  /** Blocks whose member is written, reused: no fresh buffer (and garbage) per block. */
  readonly #free: Buffer[] = [];
  #members = 0;
  #compressing = 0;
  /** Blocks waiting for a compression slot, started in order. */
  readonly #waiting: (() => void)[] = [];
  /** The chunk index (see archive-chunks.ts): members written into the open chunk and their size. */
  readonly #stored: number[] = [];
  #chunkMembers = 0;
  #chunkBytes = 0;
  #rawTotal = 0;

  constructor(options: BlockGzipOptions) {
    super();
    this.#level = options.level;
    this.#blockBytes = options.blockBytes ?? 1024 * 1024;
    this.#inFlight = options.inFlight ?? 2;
    this.#ready = options.ready ?? 2;
    this.#block = Buffer.allocUnsafe(this.#blockBytes);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#accept(chunk).then(() => callback(), callback);
  }

  override _flush(callback: TransformCallback): void {
    this.#submit(this.#members === 0);
    this.#drain(0).then(() => {
      if (this.#chunkMembers > 0) this.#stored.push(this.#chunkBytes);
      callback();
    }, callback);
  }

  /** Where each `chunkRawBytes` of input begins and ends once compressed (valid after the stream ended). */
  chunks(): ArchiveChunks {
    if (chunkRawBytes % this.#blockBytes !== 0) throw new Error(`gzip members of ${this.#blockBytes} bytes do not tile chunks of ${chunkRawBytes}`);
    return { raw: chunkRawBytes, raw_total: this.#rawTotal, stored: [...this.#stored] };
  }

  async #accept(chunk: Buffer): Promise<void> {
    this.#rawTotal += chunk.length;
    let offset = 0;
    while (offset < chunk.length) {
      const n = chunk.copy(this.#block, this.#filled, offset);
      this.#filled += n;
      offset += n;
      if (this.#filled === this.#blockBytes) {
        // Bounded memory: at most `inFlight` blocks compress and `ready` wait while the next one fills.
        await this.#drain(this.#inFlight + this.#ready - 1);
        this.#submit();
      }
    }
  }

  /** Starts compressing the filled block; `evenEmpty` writes a member for no input (a valid empty gzip file). */
  #submit(evenEmpty = false): void {
    if (this.#filled === 0 && !evenEmpty) return;
    this.#members += 1;
    const input = this.#block.subarray(0, this.#filled);
    const member = this.#compress(input);
    member.catch(() => undefined); // awaited in order by #drain; this only keeps a later failure from going unhandled meanwhile
    this.#pending.push({ block: this.#block, member });
    this.#block = this.#free.pop() ?? Buffer.allocUnsafe(this.#blockBytes);
    this.#filled = 0;
  }

  /** gzip of one block on the thread pool, once fewer than `inFlight` compress. */
  #compress(input: Buffer): Promise<Buffer> {
    return new Promise<Buffer>((resolve, reject) => {
      const start = () => {
        this.#compressing += 1;
        zlib.gzip(input, { level: blockLevel(input, this.#level), chunkSize: zlibChunkBytes }, (error, member) => {
          this.#compressing -= 1;
          this.#waiting.shift()?.();
          if (error) reject(error);
          else resolve(member);
        });
      };
      if (this.#compressing < this.#inFlight) start();
      else this.#waiting.push(start);
    });
  }

  /** Pushes finished members, in order, until at most `keep` blocks are still compressing or waiting. */
  async #drain(keep: number): Promise<void> {
    while (this.#pending.length > keep) {
      const head = this.#pending[0]!;
      const member = await head.member;
      this.#pending.shift();
      this.#free.push(head.block);
      this.#chunkBytes += member.length;
      this.#chunkMembers += 1;
      if (this.#chunkMembers * this.#blockBytes === chunkRawBytes) {
        this.#stored.push(this.#chunkBytes);
        this.#chunkMembers = 0;
        this.#chunkBytes = 0;
      }
      this.push(member);
    }
  }
}
