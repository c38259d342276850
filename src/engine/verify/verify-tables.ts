import type pg from 'pg';

import type { ChecksumRange } from '../checksum/checksum-types.js';
import { describeRange } from '../diff/describe-range.js';
import { type CompareTableRequest, compareTables } from '../diff/diff-tables.js';
import type { RowDifference, TableComparison } from '../diff/diff-types.js';

/** A table to verify after a sync: `{ schema, name }`, plus what the sync did to it. */
export type VerifyTableRequest = CompareTableRequest;

export type VerifyStatus = 'verified' | 'mismatch' | 'failed';

export interface TableVerification {
  schema: string;
  name: string;
  status: VerifyStatus;
  sourceRows: number | null;
  destinationRows: number | null;
  /** Where the tables differ: the narrowest key ranges found, with a readable form. */
  mismatchedRanges: Array<{ range: ChecksumRange; description: string; sourceRows: number; destinationRows: number }>;
  /** A few differing rows (by key), to start an investigation. */
  sampleRows: RowDifference[];
  /** More differences exist than were listed. */
  truncated: boolean;
  notes: string[];
  /** Why the table could not be verified (status `failed`). */
  reason?: string | undefined;
}

export type VerifyEvent =
  | { type: 'verify:start'; tables: number }
  | { type: 'verify:table'; schema: string; name: string; status: VerifyStatus; sourceRows: number | null; destinationRows: number | null }
  | { type: 'verify:done'; verified: boolean; bytesTransferred: number; durationMs: number };

export interface VerifyOptions {
  /** Abort cancels the running checksum query; the call then fails with PGF_RUN_CANCELLED. */
  signal?: AbortSignal | undefined;
  onEvent?: ((event: VerifyEvent) => void) | undefined;
  /** Differing rows listed per table (default: 10). */
  maxRows?: number | undefined;
}

export interface VerifyResult {
  verified: boolean;
  tables: TableVerification[];
  bytesTransferred: number;
  durationMs: number;
}

function toVerification(table: TableComparison): TableVerification {
  const status: VerifyStatus = table.status === 'equal' ? 'verified' : table.status === 'different' ? 'mismatch' : 'failed';
  return {
    schema: table.schema,
    name: table.name,
    status,
    sourceRows: table.source === null ? null : Number(table.source.rows),
    destinationRows: table.destination === null ? null : Number(table.destination.rows),
    mismatchedRanges: table.ranges.map((difference) => ({ ...difference, description: describeRange(difference.range, table.key) })),
    sampleRows: table.rows,
    truncated: table.truncated,
    notes: table.notes,
    reason: table.reason,
  };
}

/**
 * Verifies a load: row counts and exact multiset checksums per table, computed by each server
 * (only counts and hash sums cross the network while tables are equal); a mismatch is
 * narrowed down to key ranges and a few sample keys. Call after the sync has committed:
 *
 *   const result = await verifyTables(options.source, options.destination,
 *     tables.map((t) => ({ schema: t.schema, name: t.name, sourceWhere, excludeColumns })),
 *     { signal, onEvent });
 *   if (!result.verified) … // result.tables[i].status === 'mismatch' | 'failed'
 *
 * Both sides are read in one read-only REPEATABLE READ transaction each. Tables whose
 * destination legitimately differs (append/incremental keep rows gone from the source;
 * anonymised columns) need `excludeColumns`, or should not be verified.
 */
export async function verifyTables(
  source: pg.ClientConfig,
  destination: pg.ClientConfig,
  tables: readonly VerifyTableRequest[],
  options: VerifyOptions = {},
): Promise<VerifyResult> {
  options.onEvent?.({ type: 'verify:start', tables: tables.length });
  const summary = await compareTables(source, destination, tables, {
    signal: options.signal,
    maxRows: options.maxRows ?? 10,
    onEvent: (event) => {
      if (event.type !== 'table:done') return;
      options.onEvent?.({
        type: 'verify:table',
        schema: event.schema,
        name: event.name,
        status: event.status === 'equal' ? 'verified' : event.status === 'different' ? 'mismatch' : 'failed',
        sourceRows: event.sourceRows,
        destinationRows: event.destinationRows,
      });
    },
  });
  const result: VerifyResult = {
    verified: summary.equal,
    tables: summary.tables.map(toVerification),
    bytesTransferred: summary.bytesTransferred,
    durationMs: summary.durationMs,
  };
  options.onEvent?.({ type: 'verify:done', verified: result.verified, bytesTransferred: result.bytesTransferred, durationMs: result.durationMs });
  return result;
}
