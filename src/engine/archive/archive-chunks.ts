import { Transform, type TransformCallback } from 'node:stream';
import { z } from 'zod';

import { ChunkWorkers, zstdAddonAvailable } from './chunk-workers.js';
import { detectZstd } from './compression.js';
import { minorGc } from './minor-gc.js';
import { ZstdProcessLane, zstdProcessesAvailable } from './zstd-process-frames.js';

const nativeZstd = () => detectZstd().via === 'zlib';

/**
 * A chunked archive file is a sequence of independently decodable pieces, each holding
 * `raw` bytes of the archive (the last one fewer): gzip members, zstd frames. Any gzip or
 * zstd reader still reads the file as one stream; a reader that knows each piece's stored
 * size (this index, in the signed manifest) decodes and writes several pieces at once.
 */
export const archiveChunksSchema = z.object({
  /** Uncompressed bytes per chunk (a multiple of 512: a tar header never spans two chunks). */
  raw: z.number().int().positive(),
  /** Uncompressed bytes of the whole file. */
  raw_total: z.number().int().nonnegative(),
  /** Compressed size of each chunk, in order (before encryption: offsets into the decrypted stream). */
  stored: z.array(z.number().int().nonnegative()),
});
export type ArchiveChunks = z.infer<typeof archiveChunksSchema>;

/**
 * 4 MiB: a restore holds a few chunks per thread (peak memory), the index stays small
 * (~260 000 entries for a terabyte), and a small cluster still has chunks for every core.
 */
export const chunkRawBytes = 4 * 1024 * 1024;

/** Uncompressed bytes of chunk `index`. */
export const chunkRawLength = (chunks: ArchiveChunks, index: number): number => Math.min(chunks.raw, chunks.raw_total - index * chunks.raw);

/** A compressing stream that can say where its chunks are once it has ended. */
export interface ChunkRecorder {
  chunks(): ArchiveChunks;
}

/** Makes one zstd frame of a block (in one or more pieces); the block is the caller's again with the frame. */
interface FrameMaker {
  compress(block: Uint8Array, index: number): Promise<{ frame: Uint8Array[]; block: Uint8Array }>;
  /** After the last block: waits for the compressors to end. */
  close(): Promise<void>;
  /** A failed archive: stops them at once. */
  destroy(): void;
}

/** The `zstd` binary (native speed), one process per lane at a time. */
function zstdProcesses(level: number, lanes: number): FrameMaker {
  const processes = Array.from({ length: lanes }, () => new ZstdProcessLane(level));
  return {
    compress: async (block, index) => ({ frame: await (processes[index % lanes] as ZstdProcessLane).compress(block), block }),
    close: async () => {
      await Promise.all(processes.map((lane) => lane.close()));
    },
    destroy: () => {
      for (const lane of processes) lane.destroy();
    },
  };
}

/** Worker threads: Node's own zstd (22.15+), else zstd-napi, else WebAssembly (no binary needed; ~1.3× the CPU of the binary). */
function zstdThreads(level: number, threads: number): FrameMaker {
  const workers = new ChunkWorkers(threads, { zstd: !nativeZstd() });
  return {
    compress: async (block, index) => {
      const { frame, block: back } = await workers.compress(index, level, block);
      return { frame: [frame], block: back };
    },
    close: () => workers.close(),
    destroy: () => void workers.close(),
  };
}

/**
 * zstd as one frame per `chunkRawBytes` of input, `parallel` frames compressed at once,
 * written in order; memory stays at about 2 × parallel blocks. The binary's own streaming
 * mode writes a single frame (which only one thread can decode); a `zstd` process per block
 * measured 4× slower (a fork of this process per 4 MiB).
 */
export class ChunkedZstd extends Transform implements ChunkRecorder {
  readonly #frames: FrameMaker;
  readonly #parallel: number;
  #block: Uint8Array;
  #filled = 0;
  #rawTotal = 0;
  #next = 0;
  readonly #stored: number[] = [];
  readonly #pending: Promise<{ frame: Uint8Array[]; block: Uint8Array }>[] = [];
  /** Blocks back from the threads, filled again. */
  readonly #free: Uint8Array[] = [];

  /** `via`: who compresses (default: threads with Node's zstd or zstd-napi, else the binary when it can run as lanes, else WebAssembly threads). */
  constructor(options: { level: number; parallel: number; via?: 'processes' | 'threads' }) {
    super();
    this.#parallel = Math.max(1, options.parallel);
    // Node's own zstd or the zstd-napi addon need no process and no pipe; without them the
    // binary (native speed) beats WebAssembly.
    const via = options.via ?? (!nativeZstd() && !zstdAddonAvailable && zstdProcessesAvailable() ? 'processes' : 'threads');
    this.#frames = via === 'processes' ? zstdProcesses(options.level, this.#parallel) : zstdThreads(options.level, this.#parallel);
    this.#block = new Uint8Array(chunkRawBytes);
  }

  chunks(): ArchiveChunks {
    return { raw: chunkRawBytes, raw_total: this.#rawTotal, stored: [...this.#stored] };
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#accept(chunk).then(() => callback(), callback);
  }

  override _flush(callback: TransformCallback): void {
    if (this.#filled > 0 || this.#next === 0) this.#submit();
    this.#drain(0)
      .then(() => this.#frames.close())
      .then(() => callback(), callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#frames.destroy();
    callback(error);
  }

  async #accept(chunk: Buffer): Promise<void> {
    this.#rawTotal += chunk.length;
    let offset = 0;
    while (offset < chunk.length) {
      const n = Math.min(chunk.length - offset, chunkRawBytes - this.#filled);
      this.#block.set(chunk.subarray(offset, offset + n), this.#filled);
      this.#filled += n;
      offset += n;
      if (this.#filled === chunkRawBytes) {
        await this.#drain(this.#parallel);
        this.#submit();
      }
    }
  }

  #submit(): void {
    const done = this.#frames.compress(this.#block.subarray(0, this.#filled), this.#next);
    done.catch(() => undefined); // awaited in order by #drain
    this.#pending.push(done);
    this.#next += 1;
    this.#block = this.#free.pop() ?? new Uint8Array(chunkRawBytes);
    this.#filled = 0;
  }

  async #drain(keep: number): Promise<void> {
    while (this.#pending.length > keep) {
      const { frame, block } = await (this.#pending[0] as Promise<{ frame: Uint8Array[]; block: Uint8Array }>);
      this.#pending.shift();
      this.#free.push(block.byteOffset === 0 && block.buffer.byteLength === chunkRawBytes ? new Uint8Array(block.buffer) : new Uint8Array(chunkRawBytes));
      let stored = 0;
      for (const piece of frame) {
        stored += piece.byteLength;
        this.push(Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength));
      }
      this.#stored.push(stored);
      // Frames written before this one are garbage: collected now, not once ~64 MiB of them
      // piled up (zstd backup of 737 MB: peak RSS 179–212 MB before).
      minorGc();
    }
  }
}
