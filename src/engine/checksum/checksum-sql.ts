import type { ChecksumColumn, ChecksumRange, ChecksumTable, KeyValue } from './checksum-types.js';
import { quoteIdent } from '../sql/quote-ident.js';
import { wrapFilter } from '../sync/where-filter.js';

/**
 * Pure SQL builders for checksums: text plus parameter values, so every statement can be
 * printed and unit-tested. All of them read the same derived relation:
 *
 *   SELECT k1…kn, h1, h2, r FROM (SELECT keys, ROW(cols)::text AS r FROM ONLY t WHERE …) x
 *
 * `OFFSET 0` keeps PostgreSQL from inlining the row text into each use (it would be built
 * twice, once per seed).
 */

/** Two fixed seeds: changing them changes every checksum, so they are part of the format. */
export const hashSeeds = ['1886545778', '2654435761'] as const;

export interface SqlStatement {
  text: string;
  values: unknown[];
}

/** Collects parameter values and hands out `$n` placeholders. */
export class SqlParams {
  readonly values: unknown[] = [];
  add(value: unknown, type: string): string {
    this.values.push(value);
    return `$${this.values.length}::${type}`;
  }
}

export function relationSql(table: ChecksumTable): string {
  const name = `${quoteIdent(table.schema)}.${quoteIdent(table.name)}`;
  return table.partitioned ? name : `ONLY ${name}`;
}

/** The canonical row text: a record of the compared columns, in compare order. */
export function rowTextSql(columns: readonly ChecksumColumn[], alias: string): string {
  return `ROW(${columns.map((column) => `${alias}.${quoteIdent(column.name)}`).join(', ')})::text`;
}

/** A key column reference compared in byte order when it has a collation. */
function collated(reference: string, column: ChecksumColumn): string {
  return column.collatable ? `${reference} COLLATE "C"` : reference;
}

/** The key as one comparable value: the column itself, or a row of the columns. */
function keyTuple(key: readonly ChecksumColumn[], reference: (column: ChecksumColumn, index: number) => string): string {
  const parts = key.map((column, index) => collated(reference(column, index), column));
  return parts.length === 1 ? (parts[0] as string) : `ROW(${parts.join(', ')})`;
}

function keyParams(key: readonly ChecksumColumn[], value: KeyValue, params: SqlParams): string {
  const parts = key.map((column, index) => params.add(value[index], column.type));
  return parts.length === 1 ? (parts[0] as string) : `ROW(${parts.join(', ')})`;
}

function keyOrSelf(table: ChecksumTable): readonly ChecksumColumn[] {
  if (table.key === null) throw new Error(`table ${table.schema}.${table.name} has no key`);
  return table.key;
}

/** Predicate of a key range on the base table's columns (so an index on the key can serve it). */
function keyRangePredicate(table: ChecksumTable, range: ChecksumRange, params: SqlParams): string[] {
  if (range.kind !== 'key') return [];
  const key = keyOrSelf(table);
  const tuple = keyTuple(key, (column) => `t.${quoteIdent(column.name)}`);
  const predicates: string[] = [];
  if (range.lower !== null) predicates.push(`${tuple} >= ${keyParams(key, range.lower, params)}`);
  if (range.upper !== null) predicates.push(`${tuple} < ${keyParams(key, range.upper, params)}`);
  return predicates;
}

/**
 * The derived relation `y(k1…kn, r, h1, h2)` restricted to `range`. The user's filter, if
 * any, is SQL text from the job definition, checked to stay inside its parentheses (so the
 * key range still applies); callers run it in a read-only transaction.
 */
function baseFilters(table: ChecksumTable, range: ChecksumRange, params: SqlParams): string {
  const filters = [...(table.where ? [wrapFilter(table.where)] : []), ...keyRangePredicate(table, range, params)];
  return filters.length > 0 ? ` WHERE ${filters.join(' AND ')}` : '';
}

/** Only the key columns `y(k1…kn)` of a key range: cut points need no row text. */
function keyRowsSql(table: ChecksumTable, range: ChecksumRange, params: SqlParams): string {
  const keyColumns = keyOrSelf(table).map((column, index) => `t.${quoteIdent(column.name)} AS k${index + 1}`);
  return `(SELECT ${keyColumns.join(', ')} FROM ${relationSql(table)} AS t${baseFilters(table, range, params)}) AS y`;
}

export function hashedRowsSql(table: ChecksumTable, range: ChecksumRange, params: SqlParams): string {
  const key = table.key ?? [];
  const keyColumns = key.map((column, index) => `t.${quoteIdent(column.name)} AS k${index + 1}`);
  const inner =
    `SELECT ${[...keyColumns, `${rowTextSql(table.columns, 't')} AS r`].join(', ')} ` +
    `FROM ${relationSql(table)} AS t${baseFilters(table, range, params)} OFFSET 0`;
  const keys = key.map((_, index) => `x.k${index + 1}`);
  const hashed =
    `SELECT ${[...keys, 'x.r', `hashtextextended(x.r, ${hashSeeds[0]}) AS h1`, `hashtextextended(x.r, ${hashSeeds[1]}) AS h2`].join(', ')} ` +
    `FROM (${inner}) AS x OFFSET 0`;
  if (range.kind === 'key') return `(${hashed}) AS y`;
  const lower = params.add(range.lower, 'bigint');
  const upper = params.add(range.upper, 'bigint');
  return `(SELECT * FROM (${hashed}) AS z WHERE z.h1 BETWEEN ${lower} AND ${upper}) AS y`;
}

const aggregates = "count(*)::text AS rows, coalesce(sum(y.h1), 0)::text AS sum1, coalesce(sum(y.h2), 0)::text AS sum2";

/** Count and both hash sums of a range: three short values cross the network. */
export function rangeChecksumSql(table: ChecksumTable, range: ChecksumRange): SqlStatement {
  const params = new SqlParams();
  const from = hashedRowsSql(table, range, params);
  return { text: `SELECT ${aggregates} FROM ${from}`, values: params.values };
}

/** Bucket number by binary search over sorted bounds: bucket j holds values in [bounds[j-1], bounds[j]). */
function bucketCase(value: string, bounds: readonly string[], low: number, high: number): string {
  if (low === high) return String(low);
  const middle = Math.floor((low + high) / 2);
  return `CASE WHEN ${value} < ${bounds[middle]} THEN ${bucketCase(value, bounds, low, middle)} ELSE ${bucketCase(value, bounds, middle + 1, high)} END`;
}

/**
 * Checksums of the sub-ranges of `range` cut at `bounds` (key values for keyed tables, int64
 * texts for hash ranges), in one scan; bucket j is `[bounds[j-1], bounds[j])`.
 */
export function bucketChecksumSql(table: ChecksumTable, range: ChecksumRange, bounds: readonly (KeyValue | string)[]): SqlStatement {
  const params = new SqlParams();
  const from = hashedRowsSql(table, range, params);
  let value: string;
  let placeholders: string[];
  if (range.kind === 'key') {
    const key = keyOrSelf(table);
    value = keyTuple(key, (_, index) => `y.k${index + 1}`);
    placeholders = bounds.map((bound) => keyParams(key, bound as KeyValue, params));
  } else {
    value = 'y.h1';
    placeholders = bounds.map((bound) => params.add(bound, 'bigint'));
  }
  const bucket = bucketCase(value, placeholders, 0, placeholders.length);
  return { text: `SELECT ${bucket} AS bucket, ${aggregates} FROM ${from} GROUP BY 1 ORDER BY 1`, values: params.values };
}

/**
 * Key values that cut a key range into about `parts` equal parts (every `step`-th key in key
 * order). Only these few keys cross the network.
 */
export function keyQuantilesSql(table: ChecksumTable, range: ChecksumRange, step: number): SqlStatement {
  const key = keyOrSelf(table);
  const params = new SqlParams();
  const from = keyRowsSql(table, range, params);
  const order = key.map((column, index) => collated(`y.k${index + 1}`, column)).join(', ');
  const keys = key.map((_, index) => `y.k${index + 1}`).join(', ');
  const texts = key.map((_, index) => `q.k${index + 1}::text`).join(', ');
  const stepParam = params.add(step, 'bigint');
  return {
    text:
      `SELECT ARRAY[${texts}] AS key FROM (SELECT ${keys}, row_number() OVER (ORDER BY ${order}) AS n FROM ${from}) AS q ` +
      `WHERE q.n > 1 AND (q.n - 1) % ${stepParam} = 0 ORDER BY q.n`,
    values: params.values,
  };
}

/** Keys and row hashes of a small key range (the leaves of a bisection). */
export function keyedRowHashesSql(table: ChecksumTable, range: ChecksumRange, limit: number): SqlStatement {
  const key = keyOrSelf(table);
  const params = new SqlParams();
  const from = hashedRowsSql(table, range, params);
  const texts = key.map((_, index) => `y.k${index + 1}::text`).join(', ');
  const order = key.map((column, index) => collated(`y.k${index + 1}`, column)).join(', ');
  const limitParam = params.add(limit, 'bigint');
  return {
    text: `SELECT ARRAY[${texts}] AS key, y.h1::text AS h1, y.h2::text AS h2 FROM ${from} ORDER BY ${order} LIMIT ${limitParam}`,
    values: params.values,
  };
}

/** Distinct row hashes with multiplicities in a small hash range (keyless tables). */
export function hashGroupsSql(table: ChecksumTable, range: ChecksumRange, limit: number): SqlStatement {
  const params = new SqlParams();
  const from = hashedRowsSql(table, range, params);
  const limitParam = params.add(limit, 'bigint');
  return {
    text: `SELECT y.h1::text AS h1, y.h2::text AS h2, count(*)::text AS rows FROM ${from} GROUP BY y.h1, y.h2 ORDER BY y.h1, y.h2 LIMIT ${limitParam}`,
    values: params.values,
  };
}

/** The text of one row per given first hash, so a keyless difference can be shown to a person. */
export function rowSamplesSql(table: ChecksumTable, range: ChecksumRange, hashes: readonly string[], maxChars: number): SqlStatement {
  const params = new SqlParams();
  const from = hashedRowsSql(table, range, params);
  const list = params.add(hashes, 'bigint[]');
  const width = params.add(maxChars, 'integer');
  return {
    text: `SELECT DISTINCT ON (y.h1, y.h2) y.h1::text AS h1, y.h2::text AS h2, left(y.r, ${width}) AS row FROM ${from} WHERE y.h1 = ANY(${list})`,
    values: params.values,
  };
}
