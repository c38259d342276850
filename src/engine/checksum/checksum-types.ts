/**
 * Glossary for checksums and diffs.
 * - row text: `ROW(c1, c2, …)::text` of the compared columns in a fixed order, under the
 *   settings of `checksum-settings.ts`; NULL and '' differ, every type's output is exact.
 * - row hash: `hashtextextended(row text, seed)` for two fixed seeds (two independent 64-bit
 *   hashes, so an accidental match of a changed row is negligible).
 * - checksum: row count plus the sums of both row hashes as `numeric` — an exact multiset
 *   checksum: order does not matter, duplicates count, nothing overflows.
 * - key range: a half-open interval `[lower, upper)` of key values in key order (text
 *   columns compared with `COLLATE "C"` so both servers agree on the order whatever their
 *   collations); `null` bounds are open. Tables without a key are split by ranges of the
 *   first row hash instead.
 */

/** A column as one database sees it. `type` is `format_type` text, usable in a cast. */
export interface ChecksumColumn {
  name: string;
  type: string;
  /** The column has a collation, so comparisons need an explicit `COLLATE "C"`. */
  collatable: boolean;
}

/** What a checksum reads on one side: a table, the columns hashed, the key if any. */
export interface ChecksumTable {
  schema: string;
  name: string;
  /** Partitioned tables are read with their partitions; plain tables with `ONLY`. */
  partitioned: boolean;
  /** Hashed columns in compare order (the same names, in the same order, on both sides). */
  columns: readonly ChecksumColumn[];
  /** Key columns in key order; null when the table has no usable key. */
  key: readonly ChecksumColumn[] | null;
  /** Optional filter (SQL text from the job definition), applied inside a read-only transaction. */
  where?: string | undefined;
}

/** Key values as text, one per key column (NULL never occurs in a key). */
export type KeyValue = readonly string[];

/** A key range `[lower, upper)`; an absent bound is open. */
export interface KeyRange {
  kind: 'key';
  lower: KeyValue | null;
  upper: KeyValue | null;
}

/** For tables without a key: rows whose first hash lies in `[lower, upper]` (inclusive, int64 as text). */
export interface HashRange {
  kind: 'hash';
  lower: string;
  upper: string;
}

export type ChecksumRange = KeyRange | HashRange;

export interface Checksum {
  /** Row count as text: counts beyond 2^53 stay exact. */
  rows: string;
  sum1: string;
  sum2: string;
}

export const emptyChecksum: Checksum = { rows: '0', sum1: '0', sum2: '0' };

export function checksumsEqual(a: Checksum, b: Checksum): boolean {
  return a.rows === b.rows && a.sum1 === b.sum1 && a.sum2 === b.sum2;
}

/** The whole table: the open key range, or the full int64 hash space. */
export function wholeTableRange(table: ChecksumTable): ChecksumRange {
  return table.key === null
    ? { kind: 'hash', lower: (-(2n ** 63n)).toString(), upper: (2n ** 63n - 1n).toString() }
    : { kind: 'key', lower: null, upper: null };
}
