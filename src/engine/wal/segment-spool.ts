import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, writeSync } from 'node:fs';
import path from 'node:path';

import { PgferryError } from '../../errors/pgferry-error.js';
import { type Lsn, isSegmentName, segmentName, segmentNumber } from './lsn.js';

/**
 * Assembles streamed WAL into segment files on local disk: `<name>.partial` while it fills,
 * renamed to `<name>` (fsynced) once complete. A `.partial` left by a stop or a crash is never
 * uploaded; the next start streams that segment again from its beginning (the slot kept it).
 */
export class SegmentSpool {
  readonly directory: string;
  readonly #segmentSize: number;
  readonly #timeline: number;
  #current: { segment: bigint; fd: number; name: string } | undefined;

  constructor(directory: string, timeline: number, segmentSize: number) {
    this.directory = directory;
    this.#timeline = timeline;
    this.#segmentSize = segmentSize;
    mkdirSync(directory, { recursive: true });
  }

  /** Complete segments left by an earlier run (spooled, not yet uploaded), oldest first. */
  static completeSegments(directory: string): string[] {
    try {
      return readdirSync(directory).filter(isSegmentName).sort();
    } catch {
      return [];
    }
  }

  /** Writes bytes that start at `start`; returns the names of segments this completed. */
  write(start: Lsn, bytes: Buffer): string[] {
    const completed: string[] = [];
    const size = BigInt(this.#segmentSize);
    let position = start;
    let offset = 0;
    while (offset < bytes.length) {
      const segment = segmentNumber(position, this.#segmentSize);
      const within = Number(position - segment * size);
      const current = this.#open(segment, within);
      const length = Math.min(bytes.length - offset, this.#segmentSize - within);
      writeSync(current.fd, bytes, offset, length, within);
      offset += length;
      position += BigInt(length);
      if (within + length === this.#segmentSize) completed.push(this.#complete());
    }
    return completed;
  }

  #open(segment: bigint, within: number): { fd: number } {
    if (this.#current?.segment === segment) return this.#current;
    if (this.#current) this.#closeCurrent();
    if (within !== 0) {
      throw new PgferryError('PGF_WAL_STREAM_FAILED', `the server sent WAL from the middle of segment ${segmentName(this.#timeline, segment, this.#segmentSize)} without its beginning; restart the stream`);
    }
    const name = segmentName(this.#timeline, segment, this.#segmentSize);
    this.#current = { segment, name, fd: openSync(path.join(this.directory, `${name}.partial`), 'w') };
    return this.#current;
  }

  #complete(): string {
    const current = this.#current as { fd: number; name: string };
    fsyncSync(current.fd);
    this.#closeCurrent();
    renameSync(path.join(this.directory, `${current.name}.partial`), path.join(this.directory, current.name));
    return current.name;
  }

  #closeCurrent(): void {
    if (this.#current) closeSync(this.#current.fd);
    this.#current = undefined;
  }

  /** Stops assembling: the segment being filled stays as `<name>.partial`. */
  close(): void {
    if (this.#current) fsyncSync(this.#current.fd);
    this.#closeCurrent();
  }
}
