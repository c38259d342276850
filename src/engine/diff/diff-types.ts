import type { Checksum, ChecksumRange } from '../checksum/checksum-types.js';

/** A range where the two databases differ (a leaf of the bisection, or a coarser one left unexplored). */
export interface RangeDifference {
  range: ChecksumRange;
  sourceRows: number;
  destinationRows: number;
}

/**
 * One differing row. `missing`: on the source, not on the destination; `extra`: only on the
 * destination; `changed`: same key, different contents. Keyed tables name the key (text of
 * each key column); tables without a key show the row's text and how many copies differ.
 */
export type RowDifference =
  | { kind: 'missing' | 'extra' | 'changed'; key: string[] }
  | { kind: 'missing' | 'extra'; row: string; copies: number };

export type TableCompareStatus = 'equal' | 'different' | 'missing_on_destination' | 'incomparable' | 'failed';

export interface TableComparison {
  schema: string;
  name: string;
  status: TableCompareStatus;
  /** Key columns used to locate differences; null for multiset (hash-range) comparison. */
  key: string[] | null;
  source: Checksum | null;
  destination: Checksum | null;
  /** Differing ranges, narrowest found (capped by `maxRows`). */
  ranges: RangeDifference[];
  rows: RowDifference[];
  /** More differences exist than were listed. */
  truncated: boolean;
  /** Bytes this table's comparison moved over both connections (both directions). */
  bytesTransferred: number;
  notes: string[];
  /** Why the table was not compared (incomparable, failed). */
  reason?: string | undefined;
  errorCode?: string | undefined;
}

export interface BisectOptions {
  /** Sub-ranges per split (default: 16). */
  fanout?: number | undefined;
  /** Ranges with at most this many rows on both sides are compared row by row (default: 256). */
  leafRows?: number | undefined;
  /** Differing rows listed per table before stopping (default: 100). */
  maxRows?: number | undefined;
}

export const defaultBisectOptions = { fanout: 16, leafRows: 256, maxRows: 100 } as const;

export type DiffEvent =
  | { type: 'table:start'; schema: string; name: string }
  | { type: 'table:range'; schema: string; name: string; depth: number; ranges: number }
  | {
      type: 'table:done';
      schema: string;
      name: string;
      status: TableCompareStatus;
      sourceRows: number | null;
      destinationRows: number | null;
      bytesTransferred: number;
    };

export interface DiffSummary {
  equal: boolean;
  tables: TableComparison[];
  /** All bytes both connections moved, catalog reads included. */
  bytesTransferred: number;
  durationMs: number;
}
