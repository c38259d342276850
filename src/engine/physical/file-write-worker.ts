import { Worker } from 'node:worker_threads';

/** Bytes per hand-over: one message per MiB, not one per 64 KiB pipe read. */
const bufferBytes = 1024 * 1024;
/**
 * Buffers at most (in flight or free): each goes to the worker and comes back with its
 * acknowledgement, so memory stays at this many MiB whatever the size of the backup.
 */
const maxBuffers = 16;

/*
 * The worker hashes and writes each file's bytes with plain synchronous calls; inline
 * source (CommonJS, as `eval` workers run) so it works the same from the sources and from
 * the bundled CLI. Every `write` is acknowledged with its buffer given back, even after a
 * failure; a failed file reports its error at `end`.
 */
const workerSource = `
const { parentPort } = require('node:worker_threads');
const { openSync, writeSync, closeSync } = require('node:fs');
const { createHash } = require('node:crypto');
const files = new Map();
const failed = (file, error) => { file.error ??= { message: error.message, code: error.code }; };
parentPort.on('message', (m) => {
  if (m.type === 'open') {
    const file = { fd: undefined, hash: createHash('sha256'), error: undefined };
    files.set(m.id, file);
    try { file.fd = openSync(m.path, 'w', m.mode); } catch (error) { failed(file, error); }
    return;
  }
  const file = files.get(m.id);
  if (m.type === 'write') {
    const data = new Uint8Array(m.data, 0, m.length);
    if (!file.error) {
      try {
        file.hash.update(data);
        for (let at = 0; at < data.length; ) at += writeSync(file.fd, data, at);
      } catch (error) { failed(file, error); }
    }
    parentPort.postMessage({ type: 'ack', data: m.data }, [m.data]);
    return;
  }
  files.delete(m.id);
  if (file.fd !== undefined) {
    try { closeSync(file.fd); } catch (error) { failed(file, error); }
  }
  parentPort.postMessage(file.error ? { type: 'done', id: m.id, error: file.error } : { type: 'done', id: m.id, sha256: file.hash.digest('hex') });
});
`;

type WorkerReply = { type: 'ack'; data: ArrayBuffer } | { type: 'done'; id: number; sha256?: string; error?: { message: string; code?: string } };

/**
 * Writes files through a worker thread that hashes (SHA-256) and writes them, so the thread
 * that decodes the archive does neither: on two cores, decoding and writing run side by side.
 * Files are written in order; `end` resolves with a file's digest once it is closed.
 */
export class FileWriteWorker {
  readonly #worker = new Worker(workerSource, { eval: true });
  readonly #ends = new Map<number, { resolve: (sha256: string) => void; reject: (error: Error) => void }>();
  #nextId = 0;
  readonly #free: ArrayBuffer[] = [];
  #buffers = 0;
  #wake: (() => void) | undefined;
  #failure: Error | undefined;

  constructor() {
    this.#worker.on('message', (reply: WorkerReply) => this.#reply(reply));
    this.#worker.on('error', (error) => this.#fail(error));
    this.#worker.on('exit', () => this.#fail(new Error('the file-writing thread stopped')));
  }

  /** Creates (or truncates) `target` for the bytes that follow. */
  file(target: string, mode: number): FileWriteSink {
    const id = this.#nextId;
    this.#nextId += 1;
    this.#post({ type: 'open', id, path: target, mode });
    return new FileWriteSink(this, id);
  }

  /** A buffer to fill: a free one, a new one while fewer than `maxBuffers` exist, else the next one given back. */
  async buffer(): Promise<Buffer> {
    for (;;) {
      if (this.#failure) throw this.#failure;
      const free = this.#free.pop();
      if (free) return Buffer.from(free);
      if (this.#buffers < maxBuffers) {
        this.#buffers += 1;
        return Buffer.from(new ArrayBuffer(bufferBytes));
      }
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
  }

  /** Hands the first `length` bytes of `data` (from `buffer()`; its memory moves to the worker) to file `id`. */
  write(id: number, data: Buffer, length: number): void {
    const memory = data.buffer as ArrayBuffer;
    this.#post({ type: 'write', id, data: memory, length }, [memory]);
  }

  end(id: number): Promise<string> {
    const done = new Promise<string>((resolve, reject) => this.#ends.set(id, { resolve, reject }));
    this.#post({ type: 'end', id });
    return done;
  }

  /** Stops the thread (pending writes are abandoned; the caller removes the files). */
  async close(): Promise<void> {
    this.#worker.removeAllListeners('exit');
    await this.#worker.terminate();
  }

  #post(message: object, transfer?: ArrayBuffer[]): void {
    if (this.#failure) throw this.#failure;
    this.#worker.postMessage(message, transfer);
  }

  #reply(reply: WorkerReply): void {
    if (reply.type === 'ack') {
      this.#free.push(reply.data);
      const wake = this.#wake;
      this.#wake = undefined;
      wake?.();
      return;
    }
    const end = this.#ends.get(reply.id);
    this.#ends.delete(reply.id);
    if (reply.error) end?.reject(Object.assign(new Error(reply.error.message), { code: reply.error.code }));
    else end?.resolve(reply.sha256 as string);
  }

  #fail(error: Error): void {
    this.#failure ??= error;
    for (const end of this.#ends.values()) end.reject(error);
    this.#ends.clear();
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}

/** One file of a FileWriteWorker. */
export class FileWriteSink {
  readonly #writer: FileWriteWorker;
  readonly #id: number;
  #buffer: Buffer | undefined;
  #filled = 0;

  constructor(writer: FileWriteWorker, id: number) {
    this.#writer = writer;
    this.#id = id;
  }

  /** Copies `chunk` into the worker's buffers (the caller may reuse it afterwards). */
  async write(chunk: Buffer): Promise<void> {
    let at = 0;
    while (at < chunk.length) {
      this.#buffer ??= await this.#writer.buffer();
      const copied = chunk.copy(this.#buffer, this.#filled, at);
      at += copied;
      this.#filled += copied;
      if (this.#filled === this.#buffer.length) this.#send();
    }
  }

  /** The file's SHA-256 once all of it is written and closed. */
  async end(): Promise<string> {
    if (this.#buffer && this.#filled > 0) this.#send();
    return this.#writer.end(this.#id);
  }

  #send(): void {
    this.#writer.write(this.#id, this.#buffer as Buffer, this.#filled);
    this.#buffer = undefined;
    this.#filled = 0;
  }
}
