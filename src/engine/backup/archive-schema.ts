import type pg from 'pg';
import picomatch from 'picomatch';

import { PgferryError } from '../../errors/pgferry-error.js';
import { readSchemaGraph } from '../schema/graph/read-schema-graph.js';
import { introspectSchema, listUserSchemas } from '../schema/introspect-schema.js';
import { planSchema } from '../schema/plan/plan-schema.js';
import { splitPostData } from '../schema/plan/split-post-data.js';
import type { CatalogTable, SchemaCatalog } from '../schema/schema-types.js';
import { type QualifiedName, displayName, qualified, quoteLiteral } from '../sql/quote-ident.js';
import { type ArchiveCopyFormat, archiveCopyFormat } from './archive-copy-format.js';

/**
 * Post-data as the restore runs it: each table's group (keys, indexes, triggers, policies)
 * may run in parallel with other tables' groups once that table's data is in; `final`
 * (foreign keys, index attachments, sequence values, large objects, refreshes, publications,
 * event triggers…) runs after every table.
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
  /** The archive holds the database's large objects (their data in data/large-objects). */
  largeObjects: boolean;
  /** Every object in the archive, in creation order, for `--dry-run` style listings and restore checks. */
  objects: { key: string; label: string; section: string }[];
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

const sqlText = (statements: readonly string[]) => statements.map((statement) => `${statement.trim().replace(/;$/, '')};\n`).join('\n');

/** Types, domains and large objects have no drop of their own in their readers: derive it from the key. */
function dropOf(object: { kind: string; key: string; drop?: string | undefined }): string | undefined {
  if (object.drop !== undefined) return object.drop;
  if (object.kind === 'large object') {
    const oid = Number(object.key.slice('large object '.length));
    return `SELECT pg_catalog.lo_unlink(oid) FROM pg_catalog.pg_largeobject_metadata WHERE oid = ${oid}`;
  }
  if (object.kind === 'type' || object.kind === 'domain') return `DROP ${object.kind === 'domain' ? 'DOMAIN' : 'TYPE'} IF EXISTS ${object.key.slice(object.kind.length + 1)} CASCADE`;
  return undefined;
}

/**
 * Reads the catalog (inside the caller's snapshot transaction) into the schema layer's
 * dependency-ordered objects and turns them into the archive's pre-data, post-data and
 * table list: every object of the selection and whatever it needs, from any schema.
 */
export async function loadArchiveSchema(client: pg.Client, selection: SchemaSelection): Promise<ArchiveSchema> {
  const available = await listUserSchemas(client);
  const chosen = selection.schemas && selection.schemas.length > 0 ? [...selection.schemas] : null;
  const schemas = chosen ?? available;
  const missing = schemas.filter((schema) => !available.includes(schema));
  if (missing.length > 0) {
    throw new PgferryError('PGF_VALIDATION_FAILED', `schema ${missing.map((s) => `"${s}"`).join(', ')} does not exist in the source database; it has ${available.join(', ')}`);
  }
  const catalog = await introspectSchema(client, schemas);
  const graph = await readSchemaGraph(client);
  const include = matcher(selection.tables);
  const exclude = matcher(selection.exclude);
  const plan = planSchema({
    source: graph,
    destination: null,
    facts: null,
    selection: {
      schemas: chosen ? new Set(chosen) : null,
      table: (schema, name) => (!include || include({ schema, name })) && !(exclude && exclude({ schema, name })),
    },
  });
  const warnings = [...plan.warnings];
  const tables = selectTables(catalog, selection);
  const encoding = (await client.query<{ e: string }>("SELECT current_setting('server_encoding') AS e")).rows[0]?.e ?? '';
  const leafKeys = new Map(tables.filter((t) => t.kind === 'table').map((t) => [`table ${qualified(t.name)}`, displayName(t.name)]));
  const included = new Set(plan.objects.map((p) => p.object.key));

  const pre = plan.objects.filter((p) => p.object.section === 'pre-data').flatMap((p) => p.object.create);
  const split = splitPostData(plan.objects, new Set(leafKeys.keys()));
  const groups = [...split.groups].map(([key, statements]) => ({ table: leafKeys.get(key)!, statements: statements.map((s) => s.sql) }));
  const final: string[] = [];
  // Sequence state as of the snapshot (last_value and is_called), identity ones included.
  const tableIncluded = (name: QualifiedName) => included.has(`table ${qualified(name)}`);
  const stateSequences = catalog.sequences.filter((s) => (s.ownedBy !== null && s.identity ? tableIncluded(s.ownedBy.table) : included.has(`sequence ${qualified(s.name)}`)));
  for (const sequence of stateSequences) {
    const state = await client.query<{ last_value: string; is_called: boolean }>(`SELECT last_value::text, is_called FROM ${qualified(sequence.name)}`);
    const row = state.rows[0];
    if (row) final.push(`SELECT pg_catalog.setval(${quoteLiteral(qualified(sequence.name))}, ${row.last_value}, ${row.is_called})`);
  }
  final.push(...split.final.map((s) => s.sql));

  const clean = plan.objects
    .map((p) => dropOf(p.object))
    .filter((s): s is string => s !== undefined)
    .reverse();

  return {
    cleanSql: sqlText(clean),
    schemas: catalog.schemas.map((schema) => schema.name),
    preDataSql: sqlText(pre),
    postDataSql: sqlText([...groups.flatMap((group) => group.statements), ...final]),
    postData: { groups, final },
    tables: tables
      .filter((table) => table.kind === 'table')
      .map((table) => {
        const stored = table.columns.filter((column) => column.generated === null);
        return { name: table.name, columns: stored.map((column) => column.name), estimatedBytes: table.estimatedBytes, format: archiveCopyFormat(stored, encoding) };
      }),
    largeObjects: plan.objects.some((p) => p.object.kind === 'large object'),
    objects: plan.objects.map((p) => ({ key: p.object.key, label: p.object.label, section: p.object.section })),
    warnings,
    encoding,
  };
}
