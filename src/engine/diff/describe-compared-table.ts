import { PgferryError } from '../../errors/pgferry-error.js';
import type { Queryable } from '../catalog/catalog-types.js';
import { describeTable, listSchemas, listTables } from '../catalog/read-catalog.js';
import type { ChecksumColumn, ChecksumTable } from '../checksum/checksum-types.js';
import type { QualifiedName } from '../sql/quote-ident.js';

/** One table as one database has it: columns in attnum order, its key, whether partitioned. */
export interface SideTable {
  schema: string;
  name: string;
  partitioned: boolean;
  columns: ChecksumColumn[];
  /** Primary key, else a unique constraint on NOT NULL columns (fewest columns first). */
  key: string[] | null;
}

/**
 * Whether each column has a collation (text-like types, and domains/arrays of them), so key
 * comparisons can pin byte order. The connection catalog reports only non-default
 * collations, hence this one small query.
 */
const collatableQuery = `SELECT a.attname AS name, a.attcollation <> 0 AS collatable
  FROM pg_attribute a
 WHERE a.attrelid = to_regclass(format('%I.%I', $1::text, $2::text)) AND a.attnum > 0 AND NOT a.attisdropped`;

/** Tables (plain and partitioned parents; partitions are compared through their parent) of a database. */
export async function listComparableTables(client: Queryable): Promise<QualifiedName[]> {
  const tables: QualifiedName[] = [];
  for (const schema of await listSchemas(client)) {
    for (const table of await listTables(client, schema.name)) {
      if (table.partition_of === null) tables.push({ schema: table.schema, name: table.name });
    }
  }
  return tables;
}

/** Reads one table's columns and key; undefined when the table does not exist there. */
export async function describeSideTable(client: Queryable, table: QualifiedName): Promise<SideTable | undefined> {
  let detail;
  try {
    detail = await describeTable(client, table.schema, table.name);
  } catch (error) {
    if (error instanceof PgferryError && error.code === 'PGF_NOT_FOUND') return undefined;
    throw error;
  }
  const collatable = new Map<string, boolean>(
    (await client.query<{ name: string; collatable: boolean }>(collatableQuery, [table.schema, table.name])).rows.map((row) => [
      row.name,
      row.collatable,
    ]),
  );
  const columns = detail.columns.map((column) => ({ name: column.name, type: column.data_type, collatable: collatable.get(column.name) ?? false }));
  const notNull = new Set(detail.columns.filter((column) => !column.nullable).map((column) => column.name));
  const primary = detail.keys.find((key) => key.kind === 'primary');
  const unique = detail.keys
    .filter((key) => key.kind === 'unique' && key.columns.every((column) => notNull.has(column)))
    .sort((a, b) => a.columns.length - b.columns.length)[0];
  return {
    schema: detail.table.schema,
    name: detail.table.name,
    partitioned: detail.table.kind === 'partitioned',
    columns,
    key: (primary ?? unique)?.columns ?? null,
  };
}

/** What to compare for one table, or why it cannot be compared. */
export type ComparePlan =
  | { comparable: true; source: ChecksumTable; destination: ChecksumTable; notes: string[] }
  | { comparable: false; reason: string; notes: string[] };

export interface PairOptions {
  /** Columns left out of the comparison (e.g. anonymised by sync rules). */
  excludeColumns?: readonly string[] | undefined;
  /** Filter applied on the source only (the sync's WHERE). */
  sourceWhere?: string | undefined;
}

/**
 * Lines up the two sides: the source's columns in the source's order, found by name on the
 * destination; the source's key when the destination has those columns with the same types
 * (else the table is compared as a multiset without a key, which still finds every difference).
 */
export function pairTables(source: SideTable, destination: SideTable, options: PairOptions = {}): ComparePlan {
  const notes: string[] = [];
  const excluded = new Set(options.excludeColumns ?? []);
  const byName = new Map(destination.columns.map((column) => [column.name, column]));
  const sourceColumns = source.columns.filter((column) => !excluded.has(column.name));
  const missing = sourceColumns.filter((column) => !byName.has(column.name)).map((column) => column.name);
  if (missing.length > 0) {
    return { comparable: false, reason: `the destination lacks column(s) ${missing.map((name) => `"${name}"`).join(', ')}`, notes };
  }
  const destinationColumns = sourceColumns.map((column) => byName.get(column.name) as ChecksumColumn);
  const sourceNames = new Set(source.columns.map((column) => column.name));
  const extra = destination.columns.filter((column) => !sourceNames.has(column.name) && !excluded.has(column.name));
  if (extra.length > 0) notes.push(`destination-only column(s) not compared: ${extra.map((column) => `"${column.name}"`).join(', ')}`);
  sourceColumns.forEach((column, index) => {
    const other = destinationColumns[index] as ChecksumColumn;
    if (other.type !== column.type) notes.push(`column "${column.name}" is ${column.type} on the source and ${other.type} on the destination; compared by its text`);
  });
  let key: string[] | null = source.key;
  if (key !== null) {
    const keyTypesMatch = key.every((name) => {
      const a = source.columns.find((column) => column.name === name);
      const b = byName.get(name);
      return a !== undefined && b !== undefined && a.type === b.type && a.collatable === b.collatable;
    });
    if (!keyTypesMatch) {
      notes.push(`key (${key.join(', ')}) differs in type between the databases; compared as a multiset without a key`);
      key = null;
    }
  }
  const keyColumns = (columns: readonly ChecksumColumn[]) =>
    key === null ? null : key.map((name) => columns.find((column) => column.name === name) ?? byName.get(name)) as ChecksumColumn[];
  return {
    comparable: true,
    notes,
    source: {
      schema: source.schema,
      name: source.name,
      partitioned: source.partitioned,
      columns: sourceColumns,
      key: keyColumns(source.columns),
      where: options.sourceWhere,
    },
    destination: {
      schema: destination.schema,
      name: destination.name,
      partitioned: destination.partitioned,
      columns: destinationColumns,
      key: keyColumns(destination.columns),
    },
  };
}
