import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { Readable, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';

import { describe, expect, it } from 'vitest';

import { type ArchiveChunks, type ChunkRecorder, ChunkedZstd, chunkRawBytes, chunkRawLength } from '../../src/engine/archive/archive-chunks.js';
import { ChunkWorkers, zstdAddonAvailable } from '../../src/engine/archive/chunk-workers.js';
import { createChunkedCompressStream } from '../../src/engine/archive/compression.js';
import { ZstdFrameSplitter } from '../../src/engine/archive/zstd-frames.js';
import { ZstdProcessLane, zstdProcessesAvailable } from '../../src/engine/archive/zstd-process-frames.js';

/** Input that compresses (text-like) with an incompressible stretch in the middle, over several chunks. */
function sampleInput(): Buffer {
  const text = Buffer.from(Array.from({ length: 200_000 }, (_, i) => `row ${i} ${i % 97} ${'x'.repeat(i % 13)}\n`).join(''));
  return Buffer.concat([text, randomBytes(3 * 1024 * 1024), text, Buffer.from('tail')]);
}

type Way = 'gzip' | 'zstd' | 'zstd-threads' | 'zstd-processes';
const compressionOf = (way: Way) => (way === 'gzip' ? 'gzip' : 'zstd');

function chunkedStream(way: Way): Transform & ChunkRecorder {
  if (way === 'zstd-threads') return new ChunkedZstd({ level: 3, parallel: 2, via: 'threads' });
  if (way === 'zstd-processes') return new ChunkedZstd({ level: 3, parallel: 2, via: 'processes' });
  return createChunkedCompressStream(way, 2);
}

async function compressChunked(way: Way, input: Buffer): Promise<{ stored: Buffer; chunks: ArchiveChunks }> {
  const stream = chunkedStream(way);
  const parts: Buffer[] = [];
  // Fed in uneven pieces, as a tar stream arrives.
  const pieces = (function* () {
    for (let at = 0; at < input.length; at += 100_003) yield input.subarray(at, at + 100_003);
  })();
  await pipeline(Readable.from(pieces), stream, async (source: AsyncIterable<Buffer>) => {
    for await (const part of source) parts.push(part);
  });
  return { stored: Buffer.concat(parts), chunks: stream.chunks() };
}

const hasZstdBinary = spawnSync('zstd', ['--version']).status === 0;

describe('chunked archive files', () => {
  // zstd-processes: the `zstd` binary fed through named pipes (Linux with zstd and coreutils); zstd-threads: WebAssembly.
  it.each(['gzip', 'zstd', 'zstd-threads', ...(zstdProcessesAvailable() ? (['zstd-processes'] as const) : [])] as Way[])('%s: the index names independently decodable chunks that tile the input, and the whole file is one ordinary stream', async (way) => {
    const compression = compressionOf(way);
    const input = sampleInput();
    const { stored, chunks } = await compressChunked(way, input);
    expect(chunks.raw).toBe(chunkRawBytes);
    expect(chunks.raw % 512).toBe(0);
    expect(chunks.raw_total).toBe(input.length);
    expect(chunks.stored).toHaveLength(Math.ceil(input.length / chunkRawBytes));
    expect(chunks.stored.reduce((a, b) => a + b, 0)).toBe(stored.length);

    // Each chunk alone decodes to its slice of the input, on the restore threads.
    const workers = new ChunkWorkers(2, { zstd: compression === 'zstd' });
    try {
      const [slot] = await workers.slots(1, Math.max(...chunks.stored), chunks.raw);
      let at = 0;
      for (let index = 0; index < chunks.stored.length; index += 1) {
        const size = chunks.stored[index] as number;
        slot!.stored.set(stored.subarray(at, at + size));
        const length = await workers.decode(index, 0, compression, size, chunkRawLength(chunks, index));
        expect(length).toBe(chunkRawLength(chunks, index));
        expect(Buffer.from(slot!.raw.subarray(0, length)).equals(input.subarray(index * chunks.raw, index * chunks.raw + length))).toBe(true);
        at += size;
      }
    } finally {
      await workers.close();
    }

    // Any reader of the format reads the concatenation as one stream.
    const whole = compression === 'gzip' ? zlib.gunzipSync(stored) : hasZstdBinary ? spawnSync('zstd', ['-d', '-q', '-c'], { input: stored, maxBuffer: 64 * 1024 * 1024 }).stdout : undefined;
    if (whole) expect(createHash('sha256').update(whole).digest('hex')).toBe(createHash('sha256').update(input).digest('hex'));
  });

  it('an empty input is one valid empty chunk', async () => {
    for (const way of ['gzip', 'zstd', 'zstd-threads', ...(zstdProcessesAvailable() ? (['zstd-processes'] as const) : [])] as Way[]) {
      const { stored, chunks } = await compressChunked(way, Buffer.alloc(0));
      expect(chunks).toMatchObject({ raw_total: 0, stored: [stored.length] });
      expect(chunkRawLength(chunks, 0)).toBe(0);
    }
  });

  it.runIf(zstdProcessesAvailable())('zstd-processes: a lane closed or destroyed while its named pipes are still being made ends cleanly and takes no block', async () => {
    // A backup with --jobs 2 and one block leaves a lane unused: it is closed at once, while its mkfifo may still run.
    for (let round = 0; round < 5; round += 1) {
      await new ZstdProcessLane(3).close();
      const lane = new ZstdProcessLane(3);
      lane.destroy();
      await expect(lane.compress(new Uint8Array(10))).rejects.toThrow(/closed/);
    }
  });

  it.runIf(zstdProcessesAvailable())('zstd-processes: blocks far shorter than a pipe buffer, given before zstd reaches their input, still become frames', async () => {
    // Each lane gets a full block and then a 100-byte one: the short one is written while zstd
    // still compresses the first, and must not be closed before zstd opens it.
    const input = randomBytes(2 * chunkRawBytes + 100);
    for (let round = 0; round < 3; round += 1) {
      const { stored, chunks } = await compressChunked('zstd-processes', input);
      expect(chunks.stored).toHaveLength(3);
      if (hasZstdBinary) expect(spawnSync('zstd', ['-d', '-q', '-c'], { input: stored, maxBuffer: 64 * 1024 * 1024 }).stdout.equals(input)).toBe(true);
    }
  });

  it('threads started for gzip still decode a zstd chunk (they compile the WebAssembly themselves)', async () => {
    // With { zstd: true } the module arrives compiled from the parent; without, a thread that
    // needs it compiles its own rather than waiting for a module that never comes.
    const input = sampleInput().subarray(0, 3 * 512);
    const { stored, chunks } = await compressChunked('zstd-threads', input);
    const workers = new ChunkWorkers(1, { zstd: false, native: false });
    try {
      const [slot] = await workers.slots(1, stored.length, chunks.raw);
      slot!.stored.set(stored);
      expect(await workers.decode(0, 0, 'zstd', stored.length, input.length)).toBe(input.length);
      expect(Buffer.from(slot!.raw.subarray(0, input.length)).equals(input)).toBe(true);
    } finally {
      await workers.close();
    }
  });

  // zstd-napi is an optional dependency: built at install where a compiler is (CI installs one), else absent.
  it.skipIf(!zstdAddonAvailable)('native and WebAssembly decoding give the same bytes, and both refuse a damaged chunk', async () => {
    const input = sampleInput();
    const { stored, chunks } = await compressChunked('zstd', input);
    const decoded = async (native: boolean) => {
      const workers = new ChunkWorkers(1, { zstd: true, native });
      try {
        const [slot] = await workers.slots(1, Math.max(...chunks.stored), chunks.raw);
        const parts: Buffer[] = [];
        let at = 0;
        for (let index = 0; index < chunks.stored.length; index += 1) {
          const size = chunks.stored[index] as number;
          slot!.stored.set(stored.subarray(at, at + size));
          const length = await workers.decode(0, 0, 'zstd', size, chunkRawLength(chunks, index));
          parts.push(Buffer.from(slot!.raw.subarray(0, length)));
          at += size;
        }
        // The first chunk with one byte of its compressed data flipped.
        const first = Buffer.from(stored.subarray(0, chunks.stored[0]));
        const middle = Math.floor(first.length / 2);
        first[middle] = (first[middle] as number) ^ 0xff;
        slot!.stored.set(first);
        const damaged = await workers.decode(0, 0, 'zstd', first.length, chunkRawLength(chunks, 0)).then(
          (length) => Buffer.from(slot!.raw.subarray(0, length)).equals(input.subarray(0, length)) ? 'same bytes' : 'other bytes',
          (error: Error) => error.message,
        );
        return { bytes: Buffer.concat(parts), damaged };
      } finally {
        await workers.close();
      }
    };
    const [native, wasm] = [await decoded(true), await decoded(false)];
    expect(native.bytes.equals(input)).toBe(true);
    expect(wasm.bytes.equals(input)).toBe(true);
    // A flipped byte fails the frame's decoding or its checksum, or decodes to other bytes
    // (which the restore's SHA-256 of each file refuses); never silently to the same bytes.
    for (const outcome of [native.damaged, wasm.damaged]) expect(outcome).not.toBe('same bytes');
  });

  it('a chunk that does not decode is an error of that call, and the threads go on', async () => {
    const workers = new ChunkWorkers(1, { zstd: true });
    try {
      const [slot] = await workers.slots(1, 64, 1024);
      slot!.stored.set(Buffer.from('not a zstd frame, not gzip either'));
      await expect(workers.decode(0, 0, 'zstd', 30, 1024)).rejects.toThrow(/zstd could not decode the chunk/);
      await expect(workers.decode(0, 0, 'gzip', 30, 1024)).rejects.toThrow();
      const good = zlib.gzipSync(Buffer.from('hello'));
      slot!.stored.set(good);
      expect(await workers.decode(0, 0, 'gzip', good.length, 5)).toBe(5);
    } finally {
      await workers.close();
    }
  });
});

describe('ZstdFrameSplitter', () => {
  it('finds each frame of a concatenation however the bytes arrive (checksums, RLE and empty frames included)', async () => {
    const inputs = [sampleInput().subarray(0, 40_000), Buffer.alloc(50_000, 7), Buffer.alloc(0), Buffer.from('short')];
    const workers = new ChunkWorkers(1, { zstd: true });
    let frames: Buffer[];
    try {
      frames = [];
      for (const input of inputs) frames.push(Buffer.from((await workers.compress(0, 3, new Uint8Array(input))).frame));
    } finally {
      await workers.close();
    }
    // The binary adds a checksum to each frame.
    if (hasZstdBinary) frames.push(spawnSync('zstd', ['-3', '-q', '-c'], { input: Buffer.from('with a checksum') }).stdout);
    const whole = Buffer.concat(frames);
    for (const step of [3, 4096, whole.length]) {
      const splitter = new ZstdFrameSplitter();
      const found: Buffer[] = [];
      for (let at = 0; at < whole.length; at += step) found.push(...splitter.push(whole.subarray(at, at + step)).map((pieces) => Buffer.concat(pieces)));
      expect(found.map((frame) => frame.length), `step ${step}`).toEqual(frames.map((frame) => frame.length));
      expect(Buffer.concat(found).equals(whole), `step ${step}`).toBe(true);
      expect(splitter.empty).toBe(true);
    }
    expect(() => new ZstdFrameSplitter().push(Buffer.from('not zstd at all'))).toThrow(/does not begin a frame/);
  });
});
