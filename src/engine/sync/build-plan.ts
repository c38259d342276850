import { randomUUID } from 'node:crypto';

import type pg from 'pg';

import { PgferryError } from '../../errors/pgferry-error.js';
import { describeDrift, detectDrift } from '../schema/detect-drift.js';
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
import type { CatalogTable, SchemaCatalog } from '../schema/schema-types.js';
import { displayName, qualified } from '../sql/quote-ident.js';
import { type HighWaterStore, type SyncOptions, destructiveModes, keyedModes, tableId } from '../types.js';
import { copiedTableOf, planPrivileges } from './copy-privileges.js';
import { checkPrivileges } from './check-privileges.js';
import { loadOrder } from './load-order.js';
import { planChunks, planTable } from './plan-table.js';
import { tableSelector } from './select-tables.js';
import type { DroppedForeignKey, SyncPlan, TablePlan } from './sync-plan-types.js';
import type { PlaceholderValue } from './where-filter.js';

export interface BuildPlanInput {
  /** Source session inside the run's snapshot. */
  source: pg.Client;
  destination: pg.Client;
  options: SyncOptions;
  snapshot: string | null;
  highWater?: HighWaterStore | undefined;
}

const byId = (tables: CatalogTable[]) => new Map(tables.map((t) => [tableId(t.name), t]));

function ancestors(table: CatalogTable, all: Map<string, CatalogTable>): CatalogTable[] {
  const chain: CatalogTable[] = [];
  let current = table.partitionOf ? all.get(tableId(table.partitionOf.parent)) : undefined;
  while (current) {
    chain.unshift(current);
    current = current.partitionOf ? all.get(tableId(current.partitionOf.parent)) : undefined;
  }
  return chain;
}

/** Reads both catalogs and decides everything a run will do, before anything is written. */
export async function buildPlan(input: BuildPlanInput): Promise<SyncPlan> {
  const { options } = input;
  const mode = options.mode ?? 'full';
  const policy = options.schemaPolicy ?? 'create-missing';
  if (mode === 'incremental' && !options.cursor) {
    throw new PgferryError('PGF_VALIDATION_FAILED', 'mode "incremental" needs a cursor column: pass --cursor updated_at (or an increasing id)');
  }
  if (options.destinationProtected && destructiveModes.has(mode)) {
    throw new PgferryError(
      'PGF_DESTINATION_PROTECTED',
      `the destination is protected; mode "${mode}" would replace or delete rows there — use mode append, upsert or incremental, or clear the protected flag`,
    );
  }
  // Syncing a database onto itself would truncate what the snapshot is reading (and wait on its own lock).
  const identity = `SELECT current_database() || '/' || (SELECT oid FROM pg_database WHERE datname = current_database()) || '/' || pg_postmaster_start_time() AS id`;
  const [sourceId, destId] = await Promise.all([input.source.query<{ id: string }>(identity), input.destination.query<{ id: string }>(identity)]);
  if (sourceId.rows[0]?.id === destId.rows[0]?.id) {
    throw new PgferryError('PGF_VALIDATION_FAILED', 'the source and the destination are the same database; choose another destination');
  }
  const schemas = options.schemas && options.schemas.length > 0 ? options.schemas : await listUserSchemas(input.source);
  // Two servers, two connections: read both catalogs at once.
  const [source, destination] = await Promise.all([introspectSchema(input.source, schemas), introspectSchema(input.destination, schemas)]);
  const sourceTables = byId(source.tables);
  const destTables = byId(destination.tables);

  // Selection: copy units are leaf tables; a selected partitioned table brings its partitions.
  const selected = tableSelector(options);
  const chosen = new Set<string>();
  for (const table of source.tables) {
    if (selected(table.name) || ancestors(table, sourceTables).some((a) => selected(a.name))) chosen.add(tableId(table.name));
  }
  const leaves = source.tables.filter((t) => chosen.has(tableId(t.name)) && t.kind === 'table');
  if (leaves.length === 0) {
    throw new PgferryError('PGF_NO_TABLES_SELECTED', `no table on the source matches the selection (schemas: ${schemas.join(', ') || 'none'}); check --schemas, --tables and --exclude`);
  }
  const ddlTables = new Map<string, CatalogTable>();
  for (const leaf of leaves) for (const t of [...ancestors(leaf, sourceTables), leaf]) ddlTables.set(tableId(t.name), t);
  const involvedSchemas = new Set([...ddlTables.values()].map((t) => t.name.schema));
  const mayCreate = policy === 'create-missing' || policy === 'add-columns';
  const warnings: string[] = [];

  // Strict: any missing table or column difference stops the run before it writes.
  if (policy === 'strict') {
    const problems: string[] = [];
    for (const t of ddlTables.values()) {
      const other = destTables.get(tableId(t.name));
      if (!other) problems.push(`table ${displayName(t.name)} is missing on the destination`);
      else {
        for (const item of detectDrift(t, other)) problems.push(`${displayName(t.name)}: ${describeDrift(item)}`);
      }
    }
    if (problems.length > 0) {
      throw new PgferryError('PGF_SCHEMA_DRIFT', `the destination differs from the source (schema policy strict):\n  ${problems.join('\n  ')}\nAlign the destination or use --schema-policy add-columns`, { details: { problems } });
    }
  }

  const highWaterScope = options.highWaterScope ?? 'default';
  const placeholders: Record<string, PlaceholderValue> = {};
  for (const [name, value] of Object.entries(options.placeholders ?? {})) {
    placeholders[name] = { value, type: /_at$/.test(name) ? 'timestamptz' : undefined };
  }
  const sameMajor = Math.floor(source.serverVersionNum / 10000) === Math.floor(destination.serverVersionNum / 10000);
  const plans: TablePlan[] = [];
  for (const leaf of leaves) {
    const id = tableId(leaf.name);
    const highWater = options.cursor && input.highWater ? await input.highWater.get(highWaterScope, id) : undefined;
    const plan = planTable({
      source: leaf,
      destination: destTables.get(id),
      options,
      mode,
      sameMajor,
      highWater,
      placeholders,
      mayCreate,
      mayAddColumns: policy === 'add-columns',
    });
    if (options.resumeCommitted?.has(id)) {
      plan.status = 'skipped';
      plan.reason = { code: 'resumed', message: `already committed by run ${options.runId ?? ''}`.trim() };
    }
    if (plan.status === 'ready') await planChunks(input.source, plan, options.splitRows);
    if (plan.status === 'ready' && options.resumeCommitted && plan.chunks.length > 1) {
      plan.chunks = plan.chunks.filter((chunk) => !options.resumeCommitted!.has(chunk.id));
    }
    plans.push(plan);
  }

  const preData = mayCreate ? schemaObjectsDdl(source, destination, involvedSchemas, ddlTables, destTables) : [];
  const extensions = mayCreate
    ? source.extensions.filter((e) => !destination.extensions.some((d) => d.name === e.name)).map(createExtensionDdl)
    : [];

  await checkPrivileges({
    source: input.source,
    destination: input.destination,
    plans,
    schemasToCreate: mayCreate ? [...involvedSchemas].filter((s) => !destination.schemas.some((d) => d.name === s)) : [],
    schemasReceivingTables: mayCreate ? [...new Set([...ddlTables.values()].filter((t) => !destTables.has(tableId(t.name))).map((t) => t.name.schema))] : [],
  });

  // Destination foreign keys: references into tables this run replaces (full, mirror) are
  // dropped for the load and re-created after it; the others order the load.
  const planned = new Map(plans.filter((p) => p.status === 'ready').map((p) => [p.id, p]));
  const rewritten = new Set([...planned.values()].filter((p) => destructiveModes.has(p.mode) && !p.createTable).map((p) => p.id));
  const order = loadOrder(
    plans.map((p) => ({
      id: p.id,
      size: p.estimatedBytes,
      references: [...ancestors(p.source, sourceTables), p.source].flatMap((t) => t.constraints.filter((c) => c.references).map((c) => tableId(c.references!))),
    })),
  );
  // A self-reference is no cycle for loading: one statement inserts the whole table.
  const cycles = order.cycles.filter((cycle) => cycle.length > 1);
  const inCycle = new Map<string, number>();
  cycles.forEach((cycle, i) => cycle.forEach((id) => inCycle.set(id, i)));
  const droppedForeignKeys: DroppedForeignKey[] = [];
  for (const table of destination.tables) {
    const child = tableId(table.name);
    for (const fk of table.constraints.filter((c) => c.type === 'f' && c.references)) {
      const parent = tableId(fk.references!);
      const cycle = inCycle.get(parent) !== undefined && inCycle.get(parent) === inCycle.get(child) && planned.has(child) && keyedModes.has(planned.get(child)!.mode);
      if (rewritten.has(parent) || cycle) {
        droppedForeignKeys.push({
          table: table.name,
          name: fk.name,
          definition: fk.definition,
          why: rewritten.has(parent) ? `${displayName(fk.references!)} is replaced by mode ${planned.get(parent)!.mode}` : 'foreign-key cycle between loaded tables',
        });
      } else if (planned.has(child) && planned.has(parent) && parent !== child) {
        planned.get(child)!.dependsOn.push(parent);
      }
    }
  }
  for (const cycle of cycles) {
    const droppedHere = droppedForeignKeys.some((fk) => cycle.includes(tableId(fk.table)));
    warnings.push(
      `foreign-key cycle: ${cycle.join(' ⇄ ')} — ${droppedHere ? 'its foreign keys on the destination are dropped during the load and re-created (validated) after it' : 'no load order satisfies it, so its foreign keys are created after the data'}`,
    );
  }
  const rank = new Map(order.order.map((id, i) => [id, i]));
  plans.sort((a, b) => rank.get(a.id)! - rank.get(b.id)!);

  const finalDdl: DdlStatement[] = [];
  if (mayCreate) {
    for (const t of ddlTables.values()) if (t.kind === 'partitioned' && !destTables.has(tableId(t.name))) finalDdl.push(...tablePostDataDdl(t));
    for (const t of ddlTables.values()) if (!destTables.has(tableId(t.name))) finalDdl.push(...foreignKeyDdl(t));
    const destViews = new Set(destination.views.map((v) => tableId(v.name)));
    for (const view of source.views) {
      if (!involvedSchemas.has(view.name.schema)) continue;
      if (!destViews.has(tableId(view.name))) finalDdl.push(...createViewDdl(view));
      // An existing materialized view is refreshed so it reflects the data just loaded.
      else if (view.materialized && view.populated) finalDdl.push({ object: `materialized view ${displayName(view.name)}`, sql: `REFRESH MATERIALIZED VIEW ${qualified(view.name)}` });
    }
  }
  const copied = new Set(plans.map((p) => p.id));
  const sequences = source.sequences
    .filter((s) => (s.ownedBy ? copied.has(tableId(s.ownedBy.table)) : involvedSchemas.has(s.name.schema)))
    .map((s) => ({ name: s.name, table: s.ownedBy ? tableId(s.ownedBy.table) : null }));

  // The run's objects: its schemas, tables (with partitioned parents), sequences and views.
  const privileges = await planPrivileges({
    source: input.source,
    destination: input.destination,
    schemas: [...involvedSchemas],
    objects: new Set([...ddlTables.keys(), ...sequences.map((s) => tableId(s.name)), ...source.views.filter((v) => involvedSchemas.has(v.name.schema)).map((v) => tableId(v.name))]),
    tableOf: copiedTableOf(copied, new Map(sequences.map((s) => [tableId(s.name), s.table]))),
    options: { owners: options.owners === true, grants: options.grants === true },
    createdFunctions: new Set(preData.filter((s) => s.object.startsWith('function ')).map((s) => s.object.slice('function '.length))),
  });
  warnings.push(...privileges.warnings);

  return {
    runId: options.runId ?? randomUUID(),
    snapshot: input.snapshot,
    sourceVersion: source.serverVersionNum,
    destinationVersion: destination.serverVersionNum,
    mode,
    schemaPolicy: policy,
    preData,
    extensions,
    tables: plans,
    finalDdl,
    droppedForeignKeys,
    sequences,
    privileges: privileges.statements,
    cycles,
    warnings,
  };
}

/** Schemas, types, functions, sequences and tables missing on the destination, in dependency order. */
function schemaObjectsDdl(
  source: SchemaCatalog,
  destination: SchemaCatalog,
  schemas: Set<string>,
  ddlTables: Map<string, CatalogTable>,
  destTables: Map<string, CatalogTable>,
): DdlStatement[] {
  const out: DdlStatement[] = [];
  const has = (list: { name: { schema: string; name: string } }[], name: { schema: string; name: string }) =>
    list.some((item) => item.name.schema === name.schema && item.name.name === name.name);
  for (const schema of source.schemas) {
    if (schemas.has(schema.name) && !destination.schemas.some((s) => s.name === schema.name)) out.push(...createSchemaDdl(schema.name, schema.comment));
  }
  for (const type of source.types) if (schemas.has(type.name.schema) && !has(destination.types, type.name)) out.push(...createTypeDdl(type));
  for (const fn of source.functions) {
    if (schemas.has(fn.name.schema) && !has(destination.functions, fn.name)) out.push({ object: `function ${displayName(fn.name)}`, sql: fn.definition });
  }
  const newSequences = source.sequences.filter(
    (s) => !s.identity && schemas.has(s.name.schema) && !has(destination.sequences, s.name) && (s.ownedBy === null || ddlTables.has(tableId(s.ownedBy.table))),
  );
  for (const sequence of newSequences) out.push(...createSequenceDdl(sequence));
  // Parents before partitions: order by depth of the partition tree.
  const depth = (t: CatalogTable): number => (t.partitionOf ? 1 + depth(ddlTables.get(tableId(t.partitionOf.parent)) ?? t) : 0);
  const missing = [...ddlTables.values()].filter((t) => !destTables.has(tableId(t.name))).sort((a, b) => depth(a) - depth(b));
  for (const table of missing) out.push(...createTableDdl(table));
  for (const sequence of newSequences) {
    const ownership = sequenceOwnershipDdl(sequence);
    if (ownership && missing.some((t) => tableId(t.name) === tableId(sequence.ownedBy!.table))) out.push(ownership);
  }
  return out;
}
