import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

import { onPath } from './on-path.js';
import { ZstdFrameSplitter } from './zstd-frames.js';

let available: boolean | undefined;

/** Whether this machine has what ZstdProcessLane runs (Linux: zstd, coreutils' mkfifo and stdbuf). */
export function zstdProcessesAvailable(): boolean {
  available ??= process.platform === 'linux' && ['zstd', 'stdbuf', 'mkfifo'].every(onPath);
  return available;
}

/** Blocks one `zstd` process takes (one named pipe each) before the next process starts. */
const inputsPerProcess = 256;

interface Batch {
  child: ChildProcess;
  dir: string;
  /** Inputs handed out so far. */
  used: number;
  /** Settles with each frame (as the pieces it arrived in), in input order. */
  waiting: { resolve: (frame: Buffer[]) => void; reject: (error: Error) => void }[];
  /** Frames received so far. */
  received: number;
  stopping: boolean;
  exited: Promise<void>;
}

/**
 * One frame per block from the `zstd` binary at native speed. A process takes 256 blocks
 * through 256 named pipes as its inputs, which it compresses one by one into one frame each,
 * written to its output in order; the frames are told apart by their headers. One fork per
 * GiB, not per block (a fork of this process costs more than compressing 4 MiB), and the
 * data never touches the disk. (Node's own child pipes are socket pairs, which zstd refuses
 * as inputs; named pipes it takes with -f.) The pipes are made once per lane, by a `mkfifo`
 * that runs while the first block fills. Needs `zstd`, `mkfifo` and `stdbuf` (coreutils):
 * see zstdProcessesAvailable.
 */
export class ZstdProcessLane {
  readonly #level: number;
  #batch: Batch | undefined;
  #failure: Error | undefined;
  /** The named pipes, made once and used by each process in turn. */
  readonly #inputs: Promise<{ dir: string; paths: string[] }>;
  #dir: string | undefined;
  #closed = false;

  constructor(level: number) {
    this.#level = level;
    this.#inputs = this.#makeInputs();
    this.#inputs.catch(() => undefined); // reported by compress
  }

  async #makeInputs(): Promise<{ dir: string; paths: string[] }> {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pgferry-zstd-'));
    this.#dir = dir;
    const paths = Array.from({ length: inputsPerProcess }, (_, at) => path.join(dir, String(at)));
    try {
      await promisify(execFile)('mkfifo', ['-m', '600', ...paths]);
    } catch (error) {
      const stderr = (error as { stderr?: string }).stderr?.trim();
      throw new Error(`cannot make named pipes for zstd in ${dir}: ${stderr || (error as Error).message}`);
    }
    return { dir, paths };
  }

  /** The frame of `block` (read before the promise settles; the caller may reuse it afterwards). */
  async compress(block: Uint8Array): Promise<Buffer[]> {
    // Every call awaits the same promise, so they go on in the order they were made.
    const inputs = await this.#inputs;
    if (this.#failure) throw this.#failure;
    if (this.#closed) throw new Error('the zstd lane was closed before this block');
    const batch = this.#current(inputs);
    const input = inputs.paths[batch.used] as string;
    batch.used += 1;
    const frame = new Promise<Buffer[]>((resolve, reject) => batch.waiting.push({ resolve, reject }));
    // Opened write-only, so the open (in a thread of the pool) waits until zstd opens its end:
    // closed before that, a short or empty block would leave zstd waiting for a writer
    // forever. The write then waits until zstd has read the block; zstd reads on while we read
    // its output in the event loop, so the waiting threads always free up. (A non-blocking
    // descriptor in the event loop spins on the read side of a read-write open.)
    const pipe = createWriteStream(input, { flags: 'w' });
    pipe.on('error', (error) => this.#fail(batch, error));
    pipe.end(block);
    if (batch.used === inputsPerProcess) this.#batch = undefined;
    return frame;
  }

  /** After the last block's frame: the process, waiting for inputs that will not come, is stopped. */
  async close(): Promise<void> {
    this.#closed = true;
    const batch = this.#batch;
    this.#batch = undefined;
    if (batch) {
      batch.stopping = true;
      batch.child.kill('SIGKILL');
      await batch.exited;
    }
    await this.#removeInputs();
  }

  /** Removes the named pipes once `mkfifo` has ended: removed while it still makes them, the directory would not be empty. */
  async #removeInputs(): Promise<void> {
    await this.#inputs.catch(() => undefined);
    if (this.#dir) rmSync(this.#dir, { recursive: true, force: true });
    this.#dir = undefined;
  }

  /** Stops the process at once (a failed backup). */
  destroy(): void {
    this.#closed = true;
    if (this.#batch) {
      this.#batch.stopping = true;
      this.#batch.child.kill('SIGKILL');
    }
    this.#batch = undefined;
    this.#removeInputs().catch(() => undefined); // a temporary directory left behind is not the backup's failure
  }

  #fail(batch: Batch, error: Error): void {
    if (batch.stopping) return;
    this.#failure ??= error;
    for (const waiting of batch.waiting.splice(0)) waiting.reject(error);
    batch.child.kill('SIGKILL');
  }

  #current(inputs: { dir: string; paths: string[] }): Batch {
    if (this.#batch) return this.#batch;
    const { dir, paths } = inputs;
    // Unbuffered output (stdbuf): a frame's end reaches us when its input ends, not when the next one fills zstd's buffer.
    const child = spawn('stdbuf', ['-o0', 'zstd', `-${this.#level}`, '-q', '-c', '-f', ...paths], { stdio: ['ignore', 'pipe', 'pipe'] });
    const batch: Batch = { child, dir, used: 0, waiting: [], received: 0, stopping: false, exited: Promise.resolve() };
    const splitter = new ZstdFrameSplitter();
    let stderr = '';
    child.stdout?.on('data', (piece: Buffer) => {
      try {
        for (const frame of splitter.push(piece)) {
          batch.received += 1;
          batch.waiting.shift()?.resolve(frame);
        }
      } catch (error) {
        this.#fail(batch, error as Error);
      }
    });
    child.stderr?.on('data', (piece: Buffer) => {
      if (stderr.length < 2000) stderr += piece.toString();
    });
    batch.exited = new Promise<void>((resolve) => {
      child.on('error', (error) => this.#fail(batch, error));
      child.on('close', (code) => {
        // Stopped by close (every frame in) or after its last input: any frame still missing is a failure.
        if (batch.waiting.length > 0) this.#fail(batch, new Error(code === 0 || batch.stopping ? 'zstd ended before writing every frame' : `zstd exited with ${String(code)}: ${stderr.trim()}`));
        resolve();
      });
    });
    this.#batch = batch;
    return batch;
  }
}
