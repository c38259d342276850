import { PgferryError } from '../../errors/pgferry-error.js';
import {
  type ForeignKeyFilter,
  listColumnsQuery,
  listForeignKeysQuery,
  listKeysQuery,
  listSchemasQuery,
  listTablesQuery,
  tableQuery,
} from './catalog-queries.js';
import type {
  CatalogQuery,
  ColumnInfo,
  ForeignKeyInfo,
  KeyInfo,
  Queryable,
  SchemaInfo,
  TableDetail,
  TableInfo,
} from './catalog-types.js';

// Runners for the catalog queries. They take any client (the caller owns its lifetime) and
// turn bigint text into numbers (sizes and row estimates stay far below 2^53).

async function rows<T>(client: Queryable, query: CatalogQuery): Promise<T[]> {
  const result = await client.query(query.text, query.values);
  return result.rows as T[];
}

type RawTable = Omit<TableInfo, 'estimated_rows' | 'total_bytes'> & { estimated_rows: string | null; total_bytes: string };

function toTable(row: RawTable): TableInfo {
  return {
    ...row,
    estimated_rows: row.estimated_rows === null ? null : Number(row.estimated_rows),
    total_bytes: Number(row.total_bytes),
    has_primary_key: row.primary_key.length > 0,
  };
}

export async function listSchemas(client: Queryable): Promise<SchemaInfo[]> {
  return rows<SchemaInfo>(client, listSchemasQuery());
}

export async function listTables(client: Queryable, schema: string): Promise<TableInfo[]> {
  return (await rows<RawTable>(client, listTablesQuery(schema))).map(toTable);
}

export async function listForeignKeys(client: Queryable, filter: ForeignKeyFilter = {}): Promise<ForeignKeyInfo[]> {
  return rows<ForeignKeyInfo>(client, listForeignKeysQuery(filter));
}

/** One table with its columns, keys and foreign keys in both directions. */
export async function describeTable(client: Queryable, schema: string, table: string): Promise<TableDetail> {
  const found = await rows<RawTable>(client, tableQuery(schema, table));
  const first = found[0];
  if (first === undefined) {
    throw new PgferryError(
      'PGF_NOT_FOUND',
      `table "${schema}"."${table}" does not exist (or is not a table); list the schema's tables to see the exact names`,
      { details: { schema, table } },
    );
  }
  const [columns, keys, foreignKeys, referencedBy] = [
    await rows<ColumnInfo>(client, listColumnsQuery(schema, table)),
    await rows<KeyInfo>(client, listKeysQuery(schema, table)),
    await listForeignKeys(client, { schema, table }),
    await listForeignKeys(client, { schema, table, side: 'referencing' }),
  ];
  return { table: toTable(first), columns, keys, foreign_keys: foreignKeys, referenced_by: referencedBy };
}
