import { randomUUID } from 'node:crypto';

import type pg from 'pg';

import { PgferryError } from '../../errors/pgferry-error.js';
import { describeDrift, detectDrift } from '../schema/detect-drift.js';
import type { DdlStatement } from '../schema/generate-ddl.js';
import { readSchemaGraph } from '../schema/graph/read-schema-graph.js';
import { introspectSchema, listUserSchemas } from '../schema/introspect-schema.js';
import { readDestinationFacts } from '../schema/plan/destination-facts.js';
import type { SchemaObject } from '../schema/model/schema-object.js';
import { type SchemaPlan, planSchema } from '../schema/plan/plan-schema.js';
import { splitPostData } from '../schema/plan/split-post-data.js';
import type { CatalogTable } from '../schema/schema-types.js';
import { displayName, qualified } from '../sql/quote-ident.js';
import { type HighWaterStore, type SyncOptions, destructiveModes, keyedModes, tableId } from '../types.js';
import { copiedTableOf, planPrivileges } from './copy-privileges.js';
import { checkPrivileges } from './check-privileges.js';
import { loadOrder } from './load-order.js';
import { planChunks, planTable } from './plan-table.js';
import { tableSelector } from './select-tables.js';
import { type EffectiveTableOptions, ancestors, tableOptionsResolver } from './table-options.js';
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


/** Reads both catalogs and decides everything a run will do, before anything is written. */
export async function buildPlan(input: BuildPlanInput): Promise<SyncPlan> {
  const { options } = input;
  const mode = options.mode ?? 'full';
  const policy = options.schemaPolicy ?? 'create-missing';
  // Without per-table options the run's mode is every table's: refuse before reading any catalog.
  if (!options.tableOptions?.length) checkTableMode(options, { mode, cursor: options.cursor }, null);
  // Syncing a database onto itself would truncate what the snapshot is reading (and wait on its own lock).
  const identity = `SELECT current_database() || '/' || (SELECT oid FROM pg_database WHERE datname = current_database()) || '/' || pg_postmaster_start_time() AS id`;
  const [sourceId, destId] = await Promise.all([input.source.query<{ id: string }>(identity), input.destination.query<{ id: string }>(identity)]);
  if (sourceId.rows[0]?.id === destId.rows[0]?.id) {
    throw new PgferryError('PGF_VALIDATION_FAILED', 'the source and the destination are the same database; choose another destination');
  }
  const schemas = options.schemas && options.schemas.length > 0 ? options.schemas : await listUserSchemas(input.source);
  const mayCreate = policy === 'create-missing' || policy === 'add-columns';
  // Two servers, two connections: read both catalogs at once (the object graphs only when the run may create objects).
  // One client runs one query at a time: each side reads in turn, the two sides at once.
  const [[source, sourceGraph], [destination, destinationGraph, facts]] = await Promise.all([
    (async () => [await introspectSchema(input.source, schemas), mayCreate ? await readSchemaGraph(input.source) : null] as const)(),
    (async () =>
      [
        await introspectSchema(input.destination, schemas),
        mayCreate ? await readSchemaGraph(input.destination) : null,
        mayCreate ? await readDestinationFacts(input.destination) : null,
      ] as const)(),
  ]);
  const sourceTables = byId(source.tables);
  const destTables = byId(destination.tables);

  // Selection: copy units are leaf tables; a selected partitioned table brings its partitions.
  const selected = tableSelector(options);
  const chosen = new Set<string>();
  for (const table of source.tables) {
    if (selected(table.name) || ancestors(table, sourceTables).some((a) => selected(a.name))) chosen.add(tableId(table.name));
  }
  const leaves = source.tables.filter((t) => chosen.has(tableId(t.name)) && t.kind === 'table');
  // A database without tables still has a schema to copy; a selection that names tables must match one.
  if (leaves.length === 0 && ((options.tables?.length ?? 0) > 0 || !mayCreate)) {
    throw new PgferryError('PGF_NO_TABLES_SELECTED', `no table on the source matches the selection (schemas: ${schemas.join(', ') || 'none'}); check --schemas, --tables and --exclude`);
  }
  // Each table's own options; a bad combination refuses the whole run before anything is written.
  const resolveOptions = tableOptionsResolver(options);
  const effective = new Map(leaves.map((leaf) => [tableId(leaf.name), resolveOptions([...ancestors(leaf, sourceTables).map((a) => a.name), leaf.name])]));
  for (const leaf of leaves) checkTableMode(options, effective.get(tableId(leaf.name))!, leaf);
  const ddlTables = new Map<string, CatalogTable>();
  for (const leaf of leaves) for (const t of [...ancestors(leaf, sourceTables), leaf]) ddlTables.set(tableId(t.name), t);
  const warnings: string[] = [];
  // Every object of the selection and what it needs, from any schema, in dependency order.
  const schemaPlan: SchemaPlan | null =
    sourceGraph && destinationGraph && facts
      ? planSchema({
          source: sourceGraph,
          destination: destinationGraph,
          facts,
          selection: {
            schemas: options.schemas && options.schemas.length > 0 ? new Set(options.schemas) : null,
            // Foreign tables are no copy units (no rows are read): the selection's patterns decide alone.
            table: (schema, name) => chosen.has(tableId({ schema, name })) || (!sourceTables.has(tableId({ schema, name })) && selected({ schema, name })),
          },
        })
      : null;
  if (schemaPlan) warnings.push(...schemaPlan.warnings);
  const created = new Set(schemaPlan?.objects.filter((p) => p.action === 'create').map((p) => p.object.key) ?? []);
  const notReproduced = new Map(schemaPlan?.objects.filter((p) => p.action === 'missing').map((p) => [p.object.key, p]) ?? []);
  const involvedSchemas = new Set([...ddlTables.values()].map((t) => t.name.schema));
  for (const p of schemaPlan?.objects ?? []) if (p.object.kind === 'schema' && p.action !== 'exists' && p.object.schema) involvedSchemas.add(p.object.schema);

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
  const destinationRules = await rulesByTable(input.destination);
  const sameMajor = Math.floor(source.serverVersionNum / 10000) === Math.floor(destination.serverVersionNum / 10000);
  const plans: TablePlan[] = [];
  for (const leaf of leaves) {
    const id = tableId(leaf.name);
    const tableOptions = effective.get(id)!;
    const highWater = tableOptions.cursor && input.highWater ? await input.highWater.get(highWaterScope, id) : undefined;
    const tableKey = `table ${qualified(leaf.name)}`;
    const missingTable = notReproduced.get(tableKey);
    const plan = planTable({
      source: leaf,
      destination: destTables.get(id),
      keyCreated: keyCreatedFor(schemaPlan, tableKey, destTables.get(id)),
      destinationRules: destinationRules.get(id),
      options,
      table: tableOptions,
      sameMajor,
      highWater,
      placeholders,
      mayCreate,
      mayAddColumns: policy === 'add-columns',
    });
    if (missingTable && plan.status === 'ready') {
      plan.status = 'refused';
      plan.reason = { code: 'PGF_SCHEMA_APPLY_FAILED', message: `table ${displayName(leaf.name)} cannot be created on the destination: ${missingTable.reason ?? 'unknown reason'}` };
    }
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

  // Pre-data of the objects to create, in order; extensions one by one before it.
  const toCreate = schemaPlan?.objects.filter((p) => p.action === 'create') ?? [];
  // An extension's schema comes first (CREATE SCHEMA IF NOT EXISTS runs again in pre-data harmlessly).
  const schemasToCreate = new Map(toCreate.filter((p) => p.object.kind === 'schema').map((p) => [p.object.key, p.object]));
  const extensions: DdlStatement[] = toCreate
    .filter((p) => p.object.kind === 'extension')
    .flatMap((p) => [...[...p.object.deps].flatMap((d) => schemasToCreate.get(d) ?? []), p.object])
    .filter((object, index, all) => all.indexOf(object) === index)
    .flatMap(objectStatements);
  const keysFirst = new Set(plans.flatMap((p) => p.keyObjects ?? []));
  const preData: DdlStatement[] = toCreate
    .filter((p) => p.object.kind !== 'extension' && (p.object.section === 'pre-data' || keysFirst.has(p.object.key)))
    .flatMap((p) => objectStatements(p.object));

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
  const rewrittenLeaves = [...planned.values()].filter((p) => destructiveModes.has(p.mode) && !p.createTable);
  // A partitioned table is rewritten when a partition is: a foreign key to it blocks TRUNCATE of the partition.
  const rewritten = new Set(rewrittenLeaves.flatMap((p) => [p.id, ...ancestors(p.source, sourceTables).map((a) => tableId(a.name))]));
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
          why: rewritten.has(parent)
            ? `${displayName(fk.references!)} ${planned.has(parent) ? `is replaced by mode ${planned.get(parent)!.mode}` : 'has partitions the run replaces'}`
            : 'foreign-key cycle between loaded tables',
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

  // Post-data: each loaded table's own objects right after its rows, the rest after all data.
  const finalDdl: DdlStatement[] = [];
  if (schemaPlan) {
    const loadedKeys = new Map(plans.filter((p) => p.status === 'ready').map((p) => [`table ${qualified(p.name)}`, p]));
    const postObjects = schemaPlan.objects.filter((p) => !keysFirst.has(p.object.key));
    const split = splitPostData(postObjects, new Set(loadedKeys.keys()));
    for (const [key, statements] of split.groups) loadedKeys.get(key)!.postData = statements;
    finalDdl.push(...split.final);
    // An existing materialized view is refreshed so it reflects the data just loaded.
    for (const p of schemaPlan.objects) {
      if (p.action === 'exists' && p.object.kind === 'materialized view' && schemaPlan.objects.some((q) => q.object.key === `materialized view data ${p.object.key.slice('materialized view '.length)}`)) {
        finalDdl.push({ object: p.object.label, sql: `REFRESH MATERIALIZED VIEW ${p.object.key.slice('materialized view '.length)}` });
      }
    }
  }
  const copied = new Set(plans.map((p) => p.id));
  const sequences = source.sequences
    .filter((s) => (s.ownedBy ? copied.has(tableId(s.ownedBy.table)) : involvedSchemas.has(s.name.schema) || created.has(`sequence ${qualified(s.name)}`)))
    .map((s) => ({ name: s.name, table: s.ownedBy ? tableId(s.ownedBy.table) : null }));

  // The run's objects: its schemas, tables (with partitioned parents), sequences and views.
  const privileges = await planPrivileges({
    source: input.source,
    destination: input.destination,
    schemas: [...involvedSchemas],
    objects: new Set([...ddlTables.keys(), ...sequences.map((s) => tableId(s.name)), ...source.views.filter((v) => involvedSchemas.has(v.name.schema)).map((v) => tableId(v.name))]),
    tableOf: copiedTableOf(copied, new Map(sequences.map((s) => [tableId(s.name), s.table]))),
    options: { owners: options.owners === true, grants: options.grants === true },
    createdFunctions: new Set(
      (schemaPlan?.objects ?? []).filter((p) => p.action === 'create' && (p.object.kind === 'function' || p.object.kind === 'procedure')).map((p) => p.object.key.slice(p.object.kind.length + 1)),
    ),
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
    schema: schemaPlan?.objects.map((p) => ({ key: p.object.key, object: p.object.label, section: p.object.section, action: p.action, reason: p.reason })) ?? [],
    excluded: schemaPlan?.excluded.map((e) => ({ object: e.label, reason: e.reason })) ?? [],
    missingObjects: [...notReproduced.values()].map((p) => ({ object: p.object.label, reason: p.reason ?? '' })),
    tables: plans,
    finalDdl,
    droppedForeignKeys,
    sequences,
    privileges: privileges.statements,
    cycles,
    warnings,
  };
}

/** A table's mode must be possible: incremental names its cursor; a protected destination takes no destructive mode. */
function checkTableMode(options: SyncOptions, table: Pick<EffectiveTableOptions, 'mode' | 'cursor'>, leaf: CatalogTable | null): void {
  const on = leaf ? ` (table ${displayName(leaf.name)})` : '';
  if (table.mode === 'incremental' && !table.cursor) {
    throw new PgferryError('PGF_VALIDATION_FAILED', `mode "incremental"${on} needs a cursor column: pass --cursor updated_at (or an increasing id)`);
  }
  if (options.destinationProtected && destructiveModes.has(table.mode)) {
    throw new PgferryError(
      'PGF_DESTINATION_PROTECTED',
      `the destination is protected; mode "${table.mode}"${on} would replace or delete rows there — use mode append, upsert or incremental, or clear the protected flag`,
    );
  }
}

/**
 * Keyed modes need the destination table's key during the load: when an existing table lacks
 * it (a first run interrupted before post-data) and this run creates the source's key, that
 * key is built before the rows instead of after them.
 */
function keyCreatedFor(plan: SchemaPlan | null, tableKey: string, destination: CatalogTable | undefined): string[] {
  if (!plan || !destination || destination.key !== null) return [];
  return plan.objects
    .filter((p) => p.action === 'create' && p.object.kind === 'constraint' && p.object.table === tableKey && / (PRIMARY KEY|UNIQUE) /.test(p.object.create[0] ?? ''))
    .map((p) => p.object.key);
}

/** Rewrite rules other than views' on the destination's tables, by table id. */
async function rulesByTable(client: pg.Client): Promise<Map<string, string[]>> {
  const result = await client.query<{ schema: string; name: string; rules: string[] }>(`
    SELECT n.nspname AS schema, c.relname AS name, array_agg(r.rulename::text ORDER BY r.rulename) AS rules
      FROM pg_catalog.pg_rewrite r JOIN pg_catalog.pg_class c ON c.oid = r.ev_class JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
     WHERE r.rulename <> '_RETURN' AND c.relkind IN ('r', 'p') GROUP BY n.nspname, c.relname`);
  return new Map(result.rows.map((row) => [tableId(row), row.rules]));
}

/** An object's statements; a user mapping's carry its masked definition for printing (options hold passwords). */
function objectStatements(object: SchemaObject): DdlStatement[] {
  const shown = object.kind === 'user mapping' ? object.definition : undefined;
  return object.create.map((sql) => ({ object: object.label, sql, ...(shown !== undefined ? { shown } : {}) }));
}
