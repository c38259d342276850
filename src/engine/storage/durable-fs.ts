import { fdatasync } from 'node:fs';
import { open, readdir } from 'node:fs/promises';
import path from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';

/*
 * Written data is in the page cache until the kernel writes it back, up to half a minute
 * later: a crash in between loses what a backup, a WAL segment or a restore reported as done.
 * Like pg_basebackup, pg_combinebackup and pgBackRest, pgferry makes it durable with fsync
 * before it says so: the file, and the directory that holds its name.
 */

/** Flushes one file's data and metadata to disk. */
export async function syncFile(file: string): Promise<void> {
  const handle = await open(file, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Flushes a directory's entries (a file created or renamed in it); a no-op where directories cannot be opened (Windows). */
export async function syncDirectory(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EISDIR' || (error as NodeJS.ErrnoException).code === 'EPERM') return;
    throw error;
  }
  try {
    await handle.sync();
  } catch (error) {
    // Some file systems refuse fsync on a directory (EINVAL), as PostgreSQL's fsync_fname allows.
    if ((error as NodeJS.ErrnoException).code !== 'EINVAL') throw error;
  } finally {
    await handle.close();
  }
}

/**
 * Flushes every regular file under `root` (but those in `skip`, already flushed), then every
 * directory (deepest first, `root` last), 16 at a time: the kernel writes several files at once.
 */
export async function syncTree(root: string, skip: ReadonlySet<string> = new Set()): Promise<void> {
  const files: string[] = [];
  const dirs: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    dirs.push(dir);
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile() && !skip.has(full)) files.push(full);
    }
  };
  await walk(root);
  const sync = new BackgroundSync(16);
  for (const file of files) sync.add(file);
  await sync.drain();
  for (const dir of dirs.reverse()) await syncDirectory(dir);
}

/**
 * Flushes files as they are finished, `concurrency` at a time (two by default), while the
 * caller goes on writing the next ones: the disk writes overlap the work instead of all coming
 * at the end.
 */
export class BackgroundSync {
  /** Files flushed so far. */
  readonly synced = new Set<string>();
  #concurrency: number;
  readonly #queue: string[] = [];
  /** Small files: flushed when nothing in `#queue` waits (see `add`). */
  readonly #later: string[] = [];
  #active = 0;
  #failure: Error | undefined;
  readonly #idle: (() => void)[] = [];

  constructor(concurrency = 2) {
    this.#concurrency = concurrency;
  }

  /**
   * `later`: a small file, flushed only when no other file waits. Each fsync of a small file
   * costs a journal commit; in order with the rest, hundreds of them held up the flushes of
   * large files, whose bytes then all reached the disk after the last chunk was written (a
   * 754 MB restore: 8 flushes of a 264 MB file queued behind ~800 small files; 1.4 s of
   * waiting after the last chunk).
   */
  add(file: string, later = false): void {
    (later ? this.#later : this.#queue).push(file);
    this.#pump();
  }

  /**
   * Waits for every file added; throws the first failure. `concurrency`: flush the rest that
   * many at a time, once nothing else competes for the pool's threads (a restore's wait after
   * its last chunk: 0.27-0.35 s two at a time, 0.20-0.26 s sixteen at a time).
   */
  async drain(concurrency?: number): Promise<ReadonlySet<string>> {
    if (concurrency !== undefined && concurrency > this.#concurrency) {
      this.#concurrency = concurrency;
      this.#pump();
    }
    if (this.#active > 0 || this.#waiting > 0) await new Promise<void>((resolve) => this.#idle.push(resolve));
    if (this.#failure) throw this.#failure;
    return this.synced;
  }

  /** Files queued and not yet being flushed. */
  get #waiting(): number {
    return this.#queue.length + this.#later.length;
  }

  #pump(): void {
    while (this.#active < this.#concurrency && this.#waiting > 0) {
      const file = (this.#queue.length > 0 ? this.#queue.shift() : this.#later.shift()) as string;
      this.#active += 1;
      syncFile(file)
        .then(
          () => this.synced.add(file),
          (error: Error) => (this.#failure ??= error),
        )
        .finally(() => {
          this.#active -= 1;
          this.#pump();
          if (this.#active === 0 && this.#waiting === 0) for (const wake of this.#idle.splice(0)) wake();
        });
    }
  }
}

/** How much of a file being written may wait for the final flush: a large file is flushed every this many bytes while written. */
export const flushEveryBytes = 32 * 1024 * 1024;

/**
 * Passes bytes on to the stream writing file descriptor `fd` and, after every `every` bytes,
 * has the disk write what is in the file so far (fdatasync, one at a time, not holding the
 * stream up), so the caller's final fsync finds little left: a 290 MB backup archive written in
 * ~6 s was flushed only at its end (0.49–0.57 s). It ends only after its last flush, so the
 * writing stream closes `fd` after it.
 */
export class FlushWhileWriting extends Transform {
  readonly #fd: number;
  readonly #every: number;
  #passed = 0;
  #flushedAt = 0;
  #flushing: Promise<void> | undefined;
  #failure: Error | undefined;

  constructor(fd: number, every = flushEveryBytes) {
    super();
    this.#fd = fd;
    this.#every = every;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#passed += chunk.length;
    if (this.#passed - this.#flushedAt >= this.#every && !this.#flushing) {
      this.#flushedAt = this.#passed;
      this.#flushing = new Promise<void>((resolve) =>
        fdatasync(this.#fd, (error) => {
          if (error) this.#failure ??= error;
          this.#flushing = undefined;
          resolve();
        }),
      );
    }
    callback(this.#failure, chunk);
  }

  override _flush(callback: TransformCallback): void {
    void (this.#flushing ?? Promise.resolve()).then(() => callback(this.#failure));
  }
}
