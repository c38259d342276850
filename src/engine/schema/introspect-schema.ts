import type pg from 'pg';

import type { QualifiedName } from '../sql/quote-ident.js';
import {
  columnsQuery,
  constraintsQuery,
  indexesQuery,
  keysQuery,
  policiesQuery,
  schemasQuery,
  sequencesQuery,
  tablesQuery,
  triggersQuery,
  viewsQuery,
} from './schema-queries.js';
import type { CatalogColumn, CatalogTable, SchemaCatalog, SequenceOptions } from './schema-types.js';

type Row = Record<string, unknown>;

const str = (value: unknown): string => String(value);
const optional = (value: unknown): string | null => (value === null || value === undefined ? null : String(value));

function groupBy<T>(rows: Row[], key: string, map: (row: Row) => T): Map<number, T[]> {
  const groups = new Map<number, T[]>();
  for (const row of rows) {
    const id = Number(row[key]);
    const list = groups.get(id) ?? [];
    list.push(map(row));
    groups.set(id, list);
  }
  return groups;
}

/** Non-system schemas of the database (what "all schemas" means). */
export async function listUserSchemas(client: pg.Client): Promise<string[]> {
  const result = await client.query<{ name: string }>(
    `SELECT nspname AS name FROM pg_namespace WHERE nspname <> 'information_schema' AND nspname !~ '^pg_'
       AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_namespace'::regclass AND d.objid = pg_namespace.oid AND d.deptype = 'e')
     ORDER BY 1`,
  );
  return result.rows.map((row) => row.name);
}

/**
 * Reads the tables, columns, keys, sequences and views of `schemas` that the data path plans
 * with (DDL comes from the schema layer in ./graph). The client must have the
 * engine's session settings (`search_path = ''`) so deparsed definitions are qualified; run it
 * inside the run's snapshot so structure and data agree.
 */
export async function introspectSchema(client: pg.Client, schemas: readonly string[]): Promise<SchemaCatalog> {
  const params = [schemas];
  const q = async (text: string): Promise<Row[]> => (await client.query(text, params)).rows as Row[];
  const version = await client.query<{ v: string }>(`SELECT current_setting('server_version_num') AS v`);
  // One after another: a pg.Client runs queries serially anyway.
  const schemaRows = await q(schemasQuery);
  const sequenceRows = await q(sequencesQuery);
  const tableRows = await q(tablesQuery);
  const columnRows = await q(columnsQuery);
  const constraintRows = await q(constraintsQuery);
  const indexRows = await q(indexesQuery);
  const keyRows = await q(keysQuery);
  const triggerRows = await q(triggersQuery);
  const policyRows = await q(policiesQuery);
  const viewRows = await q(viewsQuery);

  const columns = groupBy<CatalogColumn>(columnRows, 'table_oid', (row) => {
    const seq = row.identity_sequence as (SequenceOptions & QualifiedName) | null;
    return {
      name: str(row.name),
      type: str(row.type),
      typeOid: Number(row.type_oid),
      binarySafe: row.binary_safe === true,
      category: str(row.category),
      notNull: row.not_null === true,
      default: optional(row.default_value),
      identity: str(row.identity) as CatalogColumn['identity'],
      identitySequence: seq ? { ...seq, name: { schema: seq.schema, name: seq.name } } : null,
      generated: optional(row.generated),
      collation: optional(row.collation),
      comment: optional(row.comment),
    };
  });
  const constraints = groupBy(constraintRows, 'table_oid', (row) => ({
    name: str(row.name),
    type: str(row.type) as 'p' | 'u' | 'f' | 'c' | 'x',
    definition: str(row.definition),
    references: (row.references as QualifiedName | null) ?? null,
    comment: optional(row.comment),
  }));
  const indexes = groupBy(indexRows, 'table_oid', (row) => ({ name: str(row.name), definition: str(row.definition), comment: optional(row.comment) }));
  const triggers = groupBy(triggerRows, 'table_oid', (row) => ({
    name: str(row.name),
    definition: str(row.definition),
    enabled: str(row.enabled) as 'O' | 'D' | 'R' | 'A',
  }));
  const policies = groupBy(policyRows, 'table_oid', (row) => ({
    name: str(row.name),
    permissive: row.permissive === true,
    command: str(row.command),
    roles: (row.roles as string[]) ?? [],
    using: optional(row.using),
    withCheck: optional(row.with_check),
  }));
  // The first row per table is its key when its columns are NOT NULL; every row is a unique key a user may choose.
  const keys = new Map<number, Row>();
  const uniqueKeys = groupBy(keyRows, 'table_oid', (row) => row.columns as string[]);
  for (const row of keyRows) if (row.not_null === true && !keys.has(Number(row.table_oid))) keys.set(Number(row.table_oid), row);

  const tables: CatalogTable[] = tableRows.map((row) => {
    const oid = Number(row.oid);
    const key = keys.get(oid);
    const parent = row.parent as QualifiedName | null;
    return {
      name: { schema: str(row.schema), name: str(row.name) },
      oid,
      kind: row.partitioned === true ? 'partitioned' : 'table',
      unlogged: row.unlogged === true,
      columns: columns.get(oid) ?? [],
      partitionKey: optional(row.partition_key),
      partitionOf: parent ? { parent, bound: str(row.partition_bound) } : null,
      constraints: constraints.get(oid) ?? [],
      indexes: indexes.get(oid) ?? [],
      triggers: triggers.get(oid) ?? [],
      key: key ? (key.columns as string[]) : null,
      keySource: key ? (key.primary === true ? 'primary key' : 'unique index') : null,
      uniqueKeys: uniqueKeys.get(oid) ?? [],
      estimatedRows: Number(row.estimated_rows),
      estimatedBytes: Number(row.estimated_bytes),
      rowSecurity: { enabled: row.rls_enabled === true, forced: row.rls_forced === true },
      policies: policies.get(oid) ?? [],
      comment: optional(row.comment),
    };
  });

  return {
    serverVersionNum: Number(version.rows[0]?.v),
    schemas: schemaRows.map((row) => ({ name: str(row.name), comment: optional(row.comment) })),
    sequences: sequenceRows.map((row) => ({
      name: { schema: str(row.schema), name: str(row.name) },
      dataType: str(row.data_type),
      start: str(row.start),
      increment: str(row.increment),
      min: str(row.min),
      max: str(row.max),
      cache: str(row.cache),
      cycle: row.cycle === true,
      ownedBy:
        row.owner_table === null
          ? null
          : { table: { schema: str(row.owner_schema), name: str(row.owner_table) }, column: str(row.owner_column) },
      identity: row.identity === true,
      comment: optional(row.comment),
    })),
    tables,
    views: viewRows.map((row) => ({
      name: { schema: str(row.schema), name: str(row.name) },
      materialized: row.materialized === true,
      populated: row.populated === true,
      query: str(row.query),
      comment: optional(row.comment),
      dependsOn: (row.depends_on as QualifiedName[]) ?? [],
      indexes: indexes.get(Number(row.oid)) ?? [],
    })),
  };
}
