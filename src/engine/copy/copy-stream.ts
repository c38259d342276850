import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import type pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';

export type CopyFormat = 'binary' | 'text';

export interface CopyBetweenOptions {
  /** Source session (already inside its snapshot transaction). */
  reader: pg.Client;
  /** Destination session (inside the transaction that must contain the load). */
  writer: pg.Client;
  /** A complete SELECT producing the rows, with every name quoted. */
  select: string;
  /**
   * `"schema"."table" (cols)` when the SELECT is a plain read of every row of a plain table:
   * `COPY table TO` skips the executor that `COPY (SELECT …) TO` goes through (same rows:
   * it never includes child tables, like `FROM ONLY`).
   */
  sourceTable?: string | undefined;
  /** `"schema"."table" (cols)` on the destination. */
  target: string;
  format: CopyFormat;
  /** Add FREEZE (only when the target was created or truncated in this transaction). */
  freeze?: boolean;
  signal?: AbortSignal | undefined;
  /** Called with cumulative bytes, at most every `progressBytes` (default 1 MiB). */
  onProgress?: ((bytes: number) => void) | undefined;
  progressBytes?: number;
}

export interface CopyOutcome {
  rows: number;
  bytes: number;
}

/** The SQL of both COPY statements, exported for plans and tests. */
export function copyStatements(
  options: Pick<CopyBetweenOptions, 'select' | 'sourceTable' | 'target' | 'format' | 'freeze'>,
): { out: string; in: string } {
  const inOptions = [`FORMAT ${options.format}`, ...(options.freeze ? ['FREEZE'] : [])].join(', ');
  return {
    out: `COPY ${options.sourceTable ?? `(${options.select})`} TO STDOUT (FORMAT ${options.format})`,
    in: `COPY ${options.target} FROM STDIN (${inOptions})`,
  };
}

/**
 * Pipes `COPY (SELECT …) TO STDOUT` into `COPY … FROM STDIN` with backpressure; rows are
 * never parsed in JavaScript. Abort or any error destroys the pipeline: the destination
 * COPY is failed (the server rolls back its transaction's work) and the reader is left
 * mid-COPY, so the caller must discard it.
 */
export async function copyBetween(options: CopyBetweenOptions): Promise<CopyOutcome> {
  const sql = copyStatements(options);
  const step = options.progressBytes ?? 1 << 20;
  let bytes = 0;
  let reported = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      bytes += chunk.length;
      if (options.onProgress && bytes - reported >= step) {
        reported = bytes;
        options.onProgress(bytes);
      }
      callback(null, chunk);
    },
  });
  // Nothing starts after abort: a statement sent now would miss the cancel already made
  // for the sessions' running ones (see cancelOnAbort) and run on in the server.
  options.signal?.throwIfAborted();
  const ingest = options.writer.query(copyFrom(sql.in));
  const source = options.reader.query(copyTo(sql.out));
  await pipeline(source, counter, ingest, options.signal ? { signal: options.signal } : {});
  options.onProgress?.(bytes);
  return { rows: Number(ingest.rowCount ?? 0), bytes };
}
