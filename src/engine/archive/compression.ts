import { spawn } from 'node:child_process';
import { Duplex, PassThrough, type Readable, type Transform } from 'node:stream';
import zlib from 'node:zlib';

import { PgferryError } from '../../errors/pgferry-error.js';
import { ChunkedZstd, type ChunkRecorder } from './archive-chunks.js';
import { BlockGzip, zlibChunkBytes } from './block-gzip.js';
import { onPath } from './on-path.js';

export const compressions = ['gzip', 'zstd', 'none'] as const;
export type Compression = (typeof compressions)[number];

/** File suffix of each compression, appended to data file names. */
export const compressionSuffix: Record<Compression, string> = { gzip: '.gz', zstd: '.zst', none: '' };

interface ZstdSupport {
  available: boolean;
  /** `zlib` when node has it built in (Node ≥ 22.15), else the `zstd` binary. */
  via: 'zlib' | 'binary' | 'none';
}

let zstdSupport: ZstdSupport | undefined;

/** Node 20's zlib has no zstd; an external `zstd` binary on PATH is used instead. */
export function detectZstd(): ZstdSupport {
  if (zstdSupport) return zstdSupport;
  if (typeof (zlib as unknown as Record<string, unknown>).createZstdCompress === 'function') {
    zstdSupport = { available: true, via: 'zlib' };
  } else {
    zstdSupport = onPath('zstd') ? { available: true, via: 'binary' } : { available: false, via: 'none' };
  }
  return zstdSupport;
}

export function assertCompressionAvailable(compression: Compression): void {
  if (compression === 'zstd' && !detectZstd().available) {
    throw new PgferryError(
      'PGF_COMPRESSION_UNAVAILABLE',
      `zstd compression is unavailable: this Node (${process.version}) has no built-in zstd and no \`zstd\` binary is on PATH; install zstd (e.g. \`apt-get install zstd\`) or use --compress gzip`,
    );
  }
}

/** A child process as one duplex stream; a non-zero exit becomes a stream error. */
function processStream(command: string, args: string[]): Duplex {
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    if (stderr.length < 2000) stderr += chunk.toString();
  });
  const output = new PassThrough();
  child.stdout.pipe(output, { end: false });
  const duplex = Duplex.from({ writable: child.stdin, readable: output });
  let exited = false;
  child.on('error', (error) => duplex.destroy(error));
  child.stdout.on('end', () => {
    const finish = (code: number | null) => {
      if (code === 0) output.end();
      else duplex.destroy(new Error(`${command} exited with ${String(code)}: ${stderr.trim()}`));
    };
    if (exited) finish(child.exitCode);
    else child.once('exit', finish);
  });
  child.on('exit', () => (exited = true));
  duplex.on('close', () => {
    if (!exited) child.kill('SIGKILL');
  });
  // Writing into a dead child is reported by the exit handler above.
  child.stdin.on('error', () => undefined);
  return duplex;
}

/**
 * The `zstd` binary decoding an open file by itself (its standard input is the file): the
 * compressed bytes do not pass through this process, whose main thread would otherwise have
 * to keep a 64 KiB pipe fed. Undefined when node has zstd built in (or there is no binary).
 * The output stream errors when zstd exits non-zero; destroying it kills zstd.
 */
export function zstdDecodeFile(fd: number): Readable | undefined {
  if (detectZstd().via !== 'binary') return undefined;
  const child = spawn('zstd', ['-d', '-q', '-c'], { stdio: [fd, 'pipe', 'pipe'] });
  const stdout = child.stdout as Readable;
  let stderr = '';
  (child.stderr as Readable).on('data', (chunk: Buffer) => {
    if (stderr.length < 2000) stderr += chunk.toString();
  });
  const output = new PassThrough({ highWaterMark: 1024 * 1024 });
  stdout.pipe(output, { end: false });
  let exited = false;
  child.on('error', (error) => output.destroy(error));
  child.on('exit', () => (exited = true));
  stdout.on('end', () => {
    const finish = (code: number | null) => {
      if (code === 0) output.end();
      else output.destroy(new Error(`zstd exited with ${String(code)}: ${stderr.trim()}`));
    };
    if (exited) finish(child.exitCode);
    else child.once('exit', finish);
  });
  output.on('close', () => {
    if (!exited) child.kill('SIGKILL');
  });
  return output;
}

/** `parallel`: blocks (gzip) or threads (zstd binary) compressing at once (default: 2 for gzip, 1 for zstd). */
export function createCompressStream(compression: Compression, level?: number, parallel?: number): Transform | Duplex {
  switch (compression) {
    case 'gzip':
      return new BlockGzip({ level: level ?? 6, ...(parallel ? { inFlight: parallel } : {}) });
    case 'zstd': {
      assertCompressionAvailable('zstd');
      const native = (zlib as unknown as Record<string, (() => Transform) | undefined>).createZstdCompress;
      if (native) return native();
      return processStream('zstd', [`-${level ?? 3}`, '-q', '-c', `-T${parallel ?? 1}`]);
    }
    case 'none':
      return new PassThrough();
  }
}

/** A compressing stream of independently decodable chunks (see archive-chunks.ts); `parallel` as above (zstd: threads, default 2). */
export function createChunkedCompressStream(compression: Exclude<Compression, 'none'>, parallel?: number): Transform & ChunkRecorder {
  if (compression === 'gzip') return new BlockGzip({ level: 6, ...(parallel ? { inFlight: parallel } : {}) });
  return new ChunkedZstd({ level: 3, parallel: parallel ?? 2 });
}

export function createDecompressStream(compression: Compression): Transform | Duplex {
  switch (compression) {
    case 'gzip':
      return zlib.createGunzip({ chunkSize: zlibChunkBytes });
    case 'zstd': {
      assertCompressionAvailable('zstd');
      const native = (zlib as unknown as Record<string, (() => Transform) | undefined>).createZstdDecompress;
      if (native) return native();
      return processStream('zstd', ['-d', '-q', '-c']);
    }
    case 'none':
      return new PassThrough();
  }
}
