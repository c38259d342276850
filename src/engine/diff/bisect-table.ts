import type { ChecksumSession } from '../checksum/checksum-session.js';
import {
  bucketChecksumSql,
  hashGroupsSql,
  keyQuantilesSql,
  keyedRowHashesSql,
  rangeChecksumSql,
  rowSamplesSql,
} from '../checksum/checksum-sql.js';
import {
  type Checksum,
  type ChecksumRange,
  type ChecksumTable,
  type KeyValue,
  checksumsEqual,
  emptyChecksum,
  wholeTableRange,
} from '../checksum/checksum-types.js';
import { type BisectOptions, type RangeDifference, type RowDifference, defaultBisectOptions } from './diff-types.js';

export interface BisectInput {
  source: ChecksumSession;
  destination: ChecksumSession;
  sourceTable: ChecksumTable;
  destinationTable: ChecksumTable;
  options?: BisectOptions | undefined;
  onLevel?: ((depth: number, ranges: number) => void) | undefined;
}

export interface BisectResult {
  equal: boolean;
  source: Checksum;
  destination: Checksum;
  ranges: RangeDifference[];
  rows: RowDifference[];
  truncated: boolean;
}

interface Pending {
  range: ChecksumRange;
  source: Checksum;
  destination: Checksum;
}

type ChecksumRow = { rows: string; sum1: string; sum2: string };
type BucketRow = ChecksumRow & { bucket: number };

const rowsOf = (checksum: Checksum) => Number(checksum.rows);

/** Splits an inclusive int64 range into up to `parts` ranges of equal width; returns the cut points. */
export function hashBounds(lower: string, upper: string, parts: number): string[] {
  const low = BigInt(lower);
  const width = BigInt(upper) - low + 1n;
  const bounds: string[] = [];
  for (let part = 1; part < parts; part++) {
    const bound = low + (width * BigInt(part)) / BigInt(parts);
    if (bound > low && (bounds.length === 0 || bound.toString() !== bounds[bounds.length - 1])) bounds.push(bound.toString());
  }
  return bounds;
}

/** The j-th sub-range when `range` is cut at `bounds` (bucket j is `[bounds[j-1], bounds[j])`). */
export function childRange(range: ChecksumRange, bounds: readonly (KeyValue | string)[], bucket: number): ChecksumRange {
  if (range.kind === 'key') {
    return {
      kind: 'key',
      lower: bucket === 0 ? range.lower : (bounds[bucket - 1] as KeyValue),
      upper: bucket === bounds.length ? range.upper : (bounds[bucket] as KeyValue),
    };
  }
  return {
    kind: 'hash',
    lower: bucket === 0 ? range.lower : (bounds[bucket - 1] as string),
    upper: bucket === bounds.length ? range.upper : (BigInt(bounds[bucket] as string) - 1n).toString(),
  };
}

/**
 * Finds where two tables differ by comparing checksums of ranges on both databases and
 * splitting only the ranges that differ, until they hold at most `leafRows` rows; then the
 * keys and row hashes of those small ranges are compared. Until then only counts and sums
 * cross the network, plus `fanout - 1` cut keys per split range.
 */
export async function bisectTable(input: BisectInput): Promise<BisectResult> {
  const { source, destination, sourceTable, destinationTable } = input;
  const fanout = Math.max(2, input.options?.fanout ?? defaultBisectOptions.fanout);
  const leafRows = Math.max(1, input.options?.leafRows ?? defaultBisectOptions.leafRows);
  const maxRows = Math.max(1, input.options?.maxRows ?? defaultBisectOptions.maxRows);

  const whole = wholeTableRange(sourceTable);
  const [sourceTotal, destinationTotal] = await Promise.all([
    source.query<ChecksumRow>(rangeChecksumSql(sourceTable, whole)).then((rows) => rows[0] ?? emptyChecksum),
    destination.query<ChecksumRow>(rangeChecksumSql(destinationTable, whole)).then((rows) => rows[0] ?? emptyChecksum),
  ]);
  const result: BisectResult = {
    equal: checksumsEqual(sourceTotal, destinationTotal),
    source: sourceTotal,
    destination: destinationTotal,
    ranges: [],
    rows: [],
    truncated: false,
  };
  if (result.equal) return result;

  let level: Pending[] = [{ range: whole, source: sourceTotal, destination: destinationTotal }];
  for (let depth = 1; level.length > 0; depth++) {
    input.onLevel?.(depth, level.length);
    const next: Pending[] = [];
    for (const pending of level) {
      if (result.rows.length >= maxRows) {
        // Enough rows listed: the remaining ranges are reported as they are.
        result.truncated = true;
        result.ranges.push(toDifference(pending));
        continue;
      }
      const largest = Math.max(rowsOf(pending.source), rowsOf(pending.destination));
      const oneSideEmpty = rowsOf(pending.source) === 0 || rowsOf(pending.destination) === 0;
      const bounds = largest <= leafRows || oneSideEmpty ? [] : await cutPoints(input, pending, fanout);
      if (bounds.length === 0) {
        result.ranges.push(toDifference(pending));
        await compareLeaf(input, pending, maxRows - result.rows.length, result);
        continue;
      }
      const [sourceBuckets, destinationBuckets] = await Promise.all([
        source.query<BucketRow>(bucketChecksumSql(sourceTable, pending.range, bounds)),
        destination.query<BucketRow>(bucketChecksumSql(destinationTable, pending.range, bounds)),
      ]);
      const bySource = new Map(sourceBuckets.map((row) => [Number(row.bucket), row]));
      const byDestination = new Map(destinationBuckets.map((row) => [Number(row.bucket), row]));
      for (let bucket = 0; bucket <= bounds.length; bucket++) {
        const a = bySource.get(bucket) ?? emptyChecksum;
        const b = byDestination.get(bucket) ?? emptyChecksum;
        if (!checksumsEqual(a, b)) next.push({ range: childRange(pending.range, bounds, bucket), source: a, destination: b });
      }
    }
    level = next;
  }
  return result;
}

function toDifference(pending: Pending): RangeDifference {
  return { range: pending.range, sourceRows: rowsOf(pending.source), destinationRows: rowsOf(pending.destination) };
}

/** Cut points for one range: quantiles of the key on the side with more rows there, or even hash widths. */
async function cutPoints(input: BisectInput, pending: Pending, fanout: number): Promise<(KeyValue | string)[]> {
  if (pending.range.kind === 'hash') return hashBounds(pending.range.lower, pending.range.upper, fanout);
  const useSource = rowsOf(pending.source) >= rowsOf(pending.destination);
  const session = useSource ? input.source : input.destination;
  const table = useSource ? input.sourceTable : input.destinationTable;
  const step = Math.ceil(Math.max(rowsOf(pending.source), rowsOf(pending.destination)) / fanout);
  const rows = await session.query<{ key: string[] }>(keyQuantilesSql(table, pending.range, step));
  return rows.map((row) => row.key);
}

/** Row-level comparison of a small (or one-sided) range; lists at most `budget` rows. */
async function compareLeaf(input: BisectInput, pending: Pending, budget: number, result: BisectResult): Promise<void> {
  const { source, destination, sourceTable, destinationTable } = input;
  const expected = Math.max(rowsOf(pending.source), rowsOf(pending.destination));
  if (pending.range.kind === 'key') {
    const limit = Math.min(expected, Math.max(budget, input.options?.leafRows ?? defaultBisectOptions.leafRows));
    const [sourceRows, destinationRows] = await Promise.all([
      rowsOf(pending.source) === 0 ? [] : source.query<{ key: string[]; h1: string; h2: string }>(keyedRowHashesSql(sourceTable, pending.range, limit)),
      rowsOf(pending.destination) === 0 ? [] : destination.query<{ key: string[]; h1: string; h2: string }>(keyedRowHashesSql(destinationTable, pending.range, limit)),
    ]);
    const differences = diffKeyedRows(sourceRows, destinationRows);
    if (limit < expected) result.truncated = true;
    pushLimited(result, differences, budget);
    return;
  }
  const limit = Math.max(budget, input.options?.leafRows ?? defaultBisectOptions.leafRows);
  const [sourceGroups, destinationGroups] = await Promise.all([
    source.query<{ h1: string; h2: string; rows: string }>(hashGroupsSql(sourceTable, pending.range, limit)),
    destination.query<{ h1: string; h2: string; rows: string }>(hashGroupsSql(destinationTable, pending.range, limit)),
  ]);
  if (sourceGroups.length >= limit || destinationGroups.length >= limit) result.truncated = true;
  const counts = new Map<string, { h1: string; source: number; destination: number }>();
  for (const [rows, side] of [[sourceGroups, 'source'], [destinationGroups, 'destination']] as const) {
    for (const group of rows) {
      const id = `${group.h1}/${group.h2}`;
      const entry = counts.get(id) ?? { h1: group.h1, source: 0, destination: 0 };
      entry[side] += Number(group.rows);
      counts.set(id, entry);
    }
  }
  const differing = [...counts.entries()].filter(([, entry]) => entry.source !== entry.destination).slice(0, budget);
  if (differing.length === 0) return;
  const missing = differing.filter(([, entry]) => entry.source > entry.destination);
  const extra = differing.filter(([, entry]) => entry.destination > entry.source);
  const samples = new Map<string, string>();
  const sample = async (session: ChecksumSession, table: ChecksumTable, entries: typeof differing) => {
    if (entries.length === 0) return;
    const rows = await session.query<{ h1: string; h2: string; row: string }>(
      rowSamplesSql(table, pending.range, entries.map(([, entry]) => entry.h1), 2000),
    );
    for (const row of rows) samples.set(`${row.h1}/${row.h2}`, row.row);
  };
  await Promise.all([sample(source, sourceTable, missing), sample(destination, destinationTable, extra)]);
  pushLimited(
    result,
    differing.map(([id, entry]) => ({
      kind: entry.source > entry.destination ? ('missing' as const) : ('extra' as const),
      row: samples.get(id) ?? '',
      copies: Math.abs(entry.source - entry.destination),
    })),
    budget,
  );
}

function pushLimited(result: BisectResult, differences: RowDifference[], budget: number): void {
  if (differences.length > budget) result.truncated = true;
  result.rows.push(...differences.slice(0, budget));
}

/** Missing, extra and changed keys between two key-ordered lists of (key, hashes). */
export function diffKeyedRows(
  sourceRows: readonly { key: string[]; h1: string; h2: string }[],
  destinationRows: readonly { key: string[]; h1: string; h2: string }[],
): RowDifference[] {
  const id = (key: readonly string[]) => JSON.stringify(key);
  const destination = new Map(destinationRows.map((row) => [id(row.key), row]));
  const differences: RowDifference[] = [];
  for (const row of sourceRows) {
    const other = destination.get(id(row.key));
    if (other === undefined) differences.push({ kind: 'missing', key: row.key });
    else if (other.h1 !== row.h1 || other.h2 !== row.h2) differences.push({ kind: 'changed', key: row.key });
    destination.delete(id(row.key));
  }
  for (const row of destination.values()) differences.push({ kind: 'extra', key: row.key });
  return differences;
}
