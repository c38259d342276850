import type pg from 'pg';
import picomatch from 'picomatch';

import { PgferryError } from '../../errors/pgferry-error.js';
import {
  type DdlStatement,
  createExtensionDdl,
  createSchemaDdl,
  createSequenceDdl,
  createTableDdl,
  createTypeDdl,
  createViewDdl,
  foreignKeyDdl,
  sequenceOwnershipDdl,
  tablePostDataDdl,
} from '../schema/generate-ddl.js';
import { introspectSchema, listUserSchemas } from '../schema/introspect-schema.js';
import type { CatalogTable, CatalogView, SchemaCatalog } from '../schema/schema-types.js';
import { type QualifiedName, displayName, qualified, quoteLiteral } from '../sql/quote-ident.js';
import { type ArchiveCopyFormat, archiveCopyFormat } from './archive-copy-format.js';

/**
 * Post-data as the restore runs it: each table's group (keys, indexes, triggers, policies)
 * may run in parallel with other tables' groups once that table's data is in; `final`
 * (foreign keys, sequence values, materialized views) runs after every table.
 */
export interface PostDataPlan {
  groups: { table: string; statements: string[] }[];
  final: string[];
}

export interface ArchiveSchema {
  schemas: string[];
  preDataSql: string;
  postDataSql: string;
  postData: PostDataPlan;
  /** DROP … IF EXISTS … CASCADE of the archive's objects, for `restore --clean`. */
  cleanSql: string;
  /** Tables whose rows are dumped (leaf tables; partitioned parents have no rows of their own). */
  tables: { name: QualifiedName; columns: string[]; estimatedBytes: number; format: ArchiveCopyFormat }[];
  warnings: string[];
  /** The source's server_encoding (binary COPY files carry text in it). */
  encoding: string;
}

export interface SchemaSelection {
  schemas?: readonly string[] | undefined;
  tables?: readonly string[] | undefined;
  exclude?: readonly string[] | undefined;
}

function matcher(globs: readonly string[] | undefined): ((table: QualifiedName) => boolean) | undefined {
  if (!globs || globs.length === 0) return undefined;
  const match = picomatch([...globs], { dot: true });
  return (table) => match(`${table.schema}.${table.name}`) || match(table.name);
}

function selectTables(catalog: SchemaCatalog, selection: SchemaSelection): CatalogTable[] {
  const include = matcher(selection.tables);
  const exclude = matcher(selection.exclude);
  return catalog.tables.filter((table) => (!include || include(table.name)) && !(exclude && exclude(table.name)));
}

const key = (name: QualifiedName) => `${name.schema}\u0000${name.name}`;

/** Views in dependency order; views reading an unselected table are left out (with a warning). */
function orderViews(views: CatalogView[], tableKeys: Set<string>, allTables: Set<string>, warnings: string[]): CatalogView[] {
  const viewKeys = new Map(views.map((view) => [key(view.name), view]));
  const done = new Set<string>();
  const skipped = new Set<string>();
  const ordered: CatalogView[] = [];
  const visit = (view: CatalogView, stack: Set<string>): boolean => {
    const id = key(view.name);
    if (done.has(id)) return true;
    if (skipped.has(id) || stack.has(id)) return false;
    stack.add(id);
    for (const dependency of view.dependsOn) {
      const depKey = key(dependency);
      const depView = viewKeys.get(depKey);
      if (depView ? !visit(depView, stack) : allTables.has(depKey) && !tableKeys.has(depKey)) {
        skipped.add(id);
        warnings.push(`view ${displayName(view.name)} is not in the archive: it reads ${displayName(dependency)}, which is not selected`);
        return false;
      }
    }
    done.add(id);
    ordered.push(view);
    return true;
  };
  for (const view of views) visit(view, new Set());
  return ordered;
}

const sqlText = (statements: readonly string[]) => statements.map((statement) => `${statement.trim().replace(/;$/, '')};\n`).join('\n');

/**
 * Reads the catalog (inside the caller's snapshot transaction) through the sync engine's
 * introspection and turns it into the archive's pre-data, post-data and table list, using
 * the sync engine's DDL generators for every object.
 */
export async function loadArchiveSchema(client: pg.Client, selection: SchemaSelection): Promise<ArchiveSchema> {
  const available = await listUserSchemas(client);
  const schemas = selection.schemas && selection.schemas.length > 0 ? [...selection.schemas] : available;
  const missing = schemas.filter((schema) => !available.includes(schema));
  if (missing.length > 0) {
    throw new PgferryError('PGF_VALIDATION_FAILED', `schema ${missing.map((s) => `"${s}"`).join(', ')} does not exist in the source database; it has ${available.join(', ')}`);
  }
  const catalog = await introspectSchema(client, schemas);
  const warnings: string[] = [];
  const largeObjects = await client.query<{ n: string }>('SELECT count(*)::text AS n FROM pg_catalog.pg_largeobject_metadata');
  if (Number(largeObjects.rows[0]?.n ?? 0) > 0) {
    warnings.push(`the database has ${largeObjects.rows[0]?.n ?? ''} large object(s), which native archives do not hold; use --format pg_dump to keep them`);
  }
  const tables = selectTables(catalog, selection);
  const encoding = (await client.query<{ e: string }>("SELECT current_setting('server_encoding') AS e")).rows[0]?.e ?? '';
  const tableKeys = new Set(tables.map((table) => key(table.name)));
  const allTables = new Set(catalog.tables.map((table) => key(table.name)));
  // Parents before partitions.
  const ordered = [...tables].sort((a, b) => Number(a.partitionOf !== null) - Number(b.partitionOf !== null));
  const views = orderViews(catalog.views, tableKeys, allTables, warnings);

  const pre: DdlStatement[] = [];
  for (const schema of catalog.schemas) pre.push(...createSchemaDdl(schema.name, schema.comment));
  for (const extension of catalog.extensions) pre.push(createExtensionDdl(extension));
  const typeOrder = { enum: 0, range: 1, domain: 2, composite: 3 } as const;
  for (const type of [...catalog.types].sort((a, b) => typeOrder[a.kind] - typeOrder[b.kind])) pre.push(...createTypeDdl(type));
  for (const fn of catalog.functions) pre.push({ object: `function ${displayName(fn.name)}`, sql: fn.definition });
  const sequences = catalog.sequences.filter((sequence) => !sequence.identity && (sequence.ownedBy === null || tableKeys.has(key(sequence.ownedBy.table))));
  for (const sequence of sequences) pre.push(...createSequenceDdl(sequence));
  for (const table of ordered) pre.push(...createTableDdl(table));
  for (const sequence of sequences) {
    const owned = sequenceOwnershipDdl(sequence);
    if (owned) pre.push(owned);
  }
  for (const view of views.filter((v) => !v.materialized)) pre.push(...createViewDdl(view));

  const groups = ordered
    .map((table) => ({ table: displayName(table.name), statements: tablePostDataDdl(table).map((s) => s.sql) }))
    .filter((group) => group.statements.length > 0);
  const final: string[] = [];
  for (const table of ordered) final.push(...foreignKeyDdl(table).map((s) => s.sql));
  // Sequence state as of the snapshot (last_value and is_called), identity ones included.
  const stateSequences = catalog.sequences.filter((sequence) => sequence.ownedBy === null || tableKeys.has(key(sequence.ownedBy.table)));
  for (const sequence of stateSequences) {
    const state = await client.query<{ last_value: string; is_called: boolean }>(`SELECT last_value::text, is_called FROM ${qualified(sequence.name)}`);
    const row = state.rows[0];
    if (row) final.push(`SELECT pg_catalog.setval(${quoteLiteral(qualified(sequence.name))}, ${row.last_value}, ${row.is_called})`);
  }
  for (const view of views.filter((v) => v.materialized)) final.push(...createViewDdl(view).map((s) => s.sql));

  // Functions are CREATE OR REPLACE and schemas/extensions IF NOT EXISTS: nothing to drop.
  const clean: string[] = [];
  for (const view of [...views].reverse()) clean.push(`DROP ${view.materialized ? 'MATERIALIZED VIEW' : 'VIEW'} IF EXISTS ${qualified(view.name)} CASCADE`);
  for (const table of [...ordered].reverse()) clean.push(`DROP TABLE IF EXISTS ${qualified(table.name)} CASCADE`);
  for (const sequence of sequences) clean.push(`DROP SEQUENCE IF EXISTS ${qualified(sequence.name)} CASCADE`);
  for (const type of [...catalog.types].reverse()) clean.push(`DROP ${type.kind === 'domain' ? 'DOMAIN' : 'TYPE'} IF EXISTS ${qualified(type.name)} CASCADE`);

  return {
    cleanSql: sqlText(clean),
    schemas: catalog.schemas.map((schema) => schema.name),
    preDataSql: sqlText(pre.map((s) => s.sql)),
    postDataSql: sqlText([...groups.flatMap((group) => group.statements), ...final]),
    postData: { groups, final },
    tables: tables
      .filter((table) => table.kind === 'table')
      .map((table) => {
        const stored = table.columns.filter((column) => column.generated === null);
        return { name: table.name, columns: stored.map((column) => column.name), estimatedBytes: table.estimatedBytes, format: archiveCopyFormat(stored, encoding) };
      }),
    warnings,
    encoding,
  };
}
