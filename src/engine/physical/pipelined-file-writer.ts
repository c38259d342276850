import { type FileHandle, open } from 'node:fs/promises';

/** Bytes gathered per write: one thread-pool trip per MiB, not one per 64 KiB pipe read. */
const batchBytes = 1024 * 1024;
/** Bytes handed to the thread pool but not yet written: past this, the reader waits. */
const maxBytesInFlight = 16 * 1024 * 1024;
/** Writes and closes not yet done (bounds the files open at once). */
const maxOperationsInFlight = 64;

interface Operation {
  done: Promise<void>;
  bytes: number;
}

/**
 * Writes many files one after another without waiting for the disk between them: each
 * file's bytes go out in large positional writes on the thread pool while the caller
 * goes on decoding the next bytes, and a file is closed in the background once its writes
 * are done. Memory stays bounded (see the limits above); `finish` waits for everything and
 * reports the first failure. The chunks handed to `write` must not be reused by their producer.
 */
export class PipelinedFileWriter {
  readonly #operations: Operation[] = [];
  #bytes = 0;
  #failure: Error | undefined;

  /** Opens `target` (created or truncated) for the bytes that follow. */
  file(target: string, mode: number): FileSink {
    return new FileSink(this, target, mode);
  }

  /** Records an operation; waits while too much is in flight. Throws the first failure seen. */
  async track(done: Promise<void>, bytes: number): Promise<void> {
    this.#throwIfFailed();
    done.catch((error: unknown) => {
      this.#failure ??= error as Error;
    });
    this.#operations.push({ done, bytes });
    this.#bytes += bytes;
    while (this.#bytes > maxBytesInFlight || this.#operations.length > maxOperationsInFlight) await this.#settleOldest();
    this.#throwIfFailed();
  }

  /** Waits for every write and close; throws the first failure. */
  async finish(): Promise<void> {
    while (this.#operations.length > 0) await this.#settleOldest();
    this.#throwIfFailed();
  }

  /** Waits for everything in flight and ignores failures (before the files are removed after an error). */
  async abandon(): Promise<void> {
    await Promise.allSettled(this.#operations.map((operation) => operation.done));
    this.#operations.length = 0;
    this.#bytes = 0;
  }

  async #settleOldest(): Promise<void> {
    const oldest = this.#operations.shift() as Operation;
    await oldest.done.catch(() => undefined);
    this.#bytes -= oldest.bytes;
  }

  #throwIfFailed(): void {
    if (this.#failure) throw this.#failure;
  }
}

/** Writes all of `buffers` at `position` (a short write continues where it stopped). */
async function writeAll(handle: FileHandle, buffers: Buffer[], position: number): Promise<void> {
  let left = buffers;
  let at = position;
  while (left.length > 0) {
    const { bytesWritten } = await handle.writev(left, at);
    at += bytesWritten;
    let skip = bytesWritten;
    const rest: Buffer[] = [];
    for (const buffer of left) {
      if (skip >= buffer.length) skip -= buffer.length;
      else {
        rest.push(skip > 0 ? buffer.subarray(skip) : buffer);
        skip = 0;
      }
    }
    left = rest;
  }
}

/** One file of a PipelinedFileWriter: its writes run in order, after its open. */
export class FileSink {
  readonly #writer: PipelinedFileWriter;
  readonly #handle: Promise<FileHandle>;
  #chain: Promise<void>;
  #batch: Buffer[] = [];
  #batched = 0;
  #position = 0;

  constructor(writer: PipelinedFileWriter, target: string, mode: number) {
    this.#writer = writer;
    this.#handle = open(target, 'w', mode);
    this.#chain = this.#handle.then(() => undefined);
  }

  async write(chunk: Buffer): Promise<void> {
    if (chunk.length === 0) return;
    this.#batch.push(chunk);
    this.#batched += chunk.length;
    if (this.#batched >= batchBytes) await this.#flush();
  }

  /** Hands the last bytes and the close to the thread pool; does not wait for the disk. */
  async end(): Promise<void> {
    await this.#flush();
    const closed = this.#chain.then(
      async () => (await this.#handle).close(),
      async (error: unknown) => {
        await (await this.#handle.catch(() => undefined))?.close().catch(() => undefined);
        throw error;
      },
    );
    await this.#writer.track(closed, 0);
  }

  async #flush(): Promise<void> {
    if (this.#batched === 0) return;
    const buffers = this.#batch;
    const bytes = this.#batched;
    const position = this.#position;
    this.#batch = [];
    this.#batched = 0;
    this.#position += bytes;
    this.#chain = this.#chain.then(async () => writeAll(await this.#handle, buffers, position));
    await this.#writer.track(this.#chain, bytes);
  }
}
