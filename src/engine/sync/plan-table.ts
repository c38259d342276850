import type pg from 'pg';

import { PgferryError } from '../../errors/pgferry-error.js';
import { type ColumnDrift, describeDrift, detectDrift } from '../schema/detect-drift.js';
import { addColumnDdl } from '../schema/generate-ddl.js';
import type { CatalogTable } from '../schema/schema-types.js';
import { displayName, qualified, quoteIdent, quoteLiteral } from '../sql/quote-ident.js';
import { type SyncMode, type SyncOptions, keyedModes, tableId } from '../types.js';
import { type EffectiveTableOptions, chosenKeyProblem } from './table-options.js';
import { defaultRuleKey, findRule, ruleExpression } from './column-rules.js';
import { QueryParams } from './query-params.js';
import type { ChunkPlan, TablePlan } from './sync-plan-types.js';
import { type PlaceholderValue, bindFilter } from './where-filter.js';

export interface PlanTableInput {
  source: CatalogTable;
  destination: CatalogTable | undefined;
  /** Keys of the constraints this run creates on an existing destination table that lacks a key. */
  keyCreated?: string[] | undefined;
  /** The destination table has rewrite rules (INSERT … ON CONFLICT refuses such tables). */
  destinationRules?: string[] | undefined;
  options: SyncOptions;
  /** This table's mode, cursor, filter and key (the run's, or its own). */
  table: EffectiveTableOptions;
  /** Both servers have the same major version. */
  sameMajor: boolean;
  highWater: { cursor: string; value: string | null } | undefined;
  placeholders: Record<string, PlaceholderValue>;
  /** Whether this run may create/alter it (policy create-missing/add-columns). */
  mayCreate: boolean;
  mayAddColumns: boolean;
}

const integerTypes = new Set(['smallint', 'integer', 'bigint']);

/** Message of PGF_TABLE_HAS_NO_KEY, the documented wording. */
export function noKeyMessage(table: string, mode: SyncMode, where: 'source' | 'destination' = 'source'): string {
  return `table ${table} has no primary key or unique index${where === 'destination' ? ' on the destination' : ''}; mode "${mode}" needs one — add a key or use mode "full"`;
}

/** Plans one copied table; reads nothing from the database. */
export function planTable(input: PlanTableInput): TablePlan {
  const { source, destination, options } = input;
  const id = tableId(source.name);
  const shown = displayName(source.name);
  const notes: string[] = [];
  const createTable = destination === undefined;
  const drift: ColumnDrift[] = destination ? detectDrift(source, destination) : [];
  let mode = input.table.mode;
  const plan: TablePlan = {
    id,
    name: source.name,
    mode,
    status: 'ready',
    key: null,
    keySource: null,
    columns: [],
    expressions: [],
    rules: [],
    filter: input.table.where ?? null,
    where: null,
    cursor: null,
    params: [],
    format: 'text',
    estimatedRows: source.estimatedRows,
    estimatedBytes: source.estimatedBytes,
    createTable,
    ddl: [],
    postData: [],
    drift,
    chunks: [{ id, lower: null, upper: null }],
    dependsOn: [],
    triggers: [],
    notes,
    source,
  };
  const refuse = (code: string, message: string): TablePlan => Object.assign(plan, { status: 'refused', reason: { code, message } });

  if (createTable && !input.mayCreate) {
    return refuse('PGF_SCHEMA_DRIFT', `table ${shown} does not exist on the destination and the schema policy does not create tables; create it or use --schema-policy create-missing`);
  }

  // Incremental needs the cursor column; without it the table is compared by key instead.
  if (mode === 'incremental') {
    const cursor = input.table.cursor as string;
    const column = source.columns.find((c) => c.name === cursor);
    if (column === undefined) {
      mode = 'upsert';
      notes.push(`no column "${cursor}": compared by key (upsert) instead of incremental`);
    }
  }
  plan.mode = mode;

  const destColumns = new Map((destination?.columns ?? []).map((c) => [c.name, c]));
  for (const item of drift) {
    if (item.kind === 'missing-on-destination' && input.mayAddColumns) {
      const column = source.columns.find((c) => c.name === item.column)!;
      plan.ddl.push(addColumnDdl(source, column));
      destColumns.set(column.name, column);
    } else {
      notes.push(`drift: ${describeDrift(item)}${item.kind === 'missing-on-destination' ? ' (not copied; --schema-policy add-columns adds it)' : ''}`);
    }
  }

  // An existing table that lacks its key gets the source's before the load when a keyed mode needs it.
  const keyComing = !createTable && destination.key === null && keyedModes.has(mode) && (input.keyCreated?.length ?? 0) > 0 && source.key !== null;
  let key = createTable || keyComing ? source.key : destination.key;
  plan.keySource = createTable || keyComing ? source.keySource : destination.keySource;
  if (keyComing) {
    plan.keyObjects = input.keyCreated;
    notes.push(`the destination table has no key: the source's ${source.keySource ?? 'key'} is created before the load`);
  }
  if (input.table.key) {
    const chosen = input.table.key;
    // ON CONFLICT needs a unique index on exactly these columns where the rows are written (the table created by this run gets the source's).
    const written = createTable || keyComing ? source : destination;
    const problem = chosenKeyProblem(written, chosen, written === source ? 'source' : 'destination', mode, keyedModes.has(mode) && mode !== 'full');
    if (problem) return refuse(problem.code, problem.message);
    key = chosen;
    plan.keySource = 'chosen key';
  }
  plan.key = key;
  if (keyedModes.has(mode) && mode !== 'full' && (input.destinationRules?.length ?? 0) > 0) {
    return refuse(
      'PGF_TABLE_HAS_RULES',
      `table ${shown} has rewrite rules on the destination (${input.destinationRules!.join(', ')}); mode "${mode}" writes with INSERT … ON CONFLICT, which PostgreSQL refuses on such tables — use mode "full", or drop or disable the rules on the destination`,
    );
  }
  if (keyedModes.has(mode) && !createTable && key === null) {
    return refuse('PGF_TABLE_HAS_NO_KEY', noKeyMessage(shown, mode, source.key === null ? 'source' : 'destination'));
  }
  if (keyedModes.has(mode) && createTable && key === null) {
    return refuse('PGF_TABLE_HAS_NO_KEY', noKeyMessage(shown, mode));
  }

  const params = new QueryParams(`pgferry.t${source.oid}_`);
  const ruleKey = options.ruleKey ?? defaultRuleKey;
  for (const column of source.columns) {
    if (column.generated !== null) continue;
    const target = createTable ? column : destColumns.get(column.name);
    if (target === undefined || target.generated !== null) continue;
    plan.columns.push(column.name);
    const rule = options.rules ? findRule(options.rules, source.name, column.name) : undefined;
    // `untouched` matched first: the column is copied as it is (and verified).
    if (rule && rule.strategy !== 'untouched') {
      plan.expressions.push(ruleExpression(rule, column, params, ruleKey));
      plan.rules.push({ column: column.name, strategy: rule.strategy });
    } else {
      plan.expressions.push(quoteIdent(column.name));
    }
  }
  // A table without columns can still hold rows (COPY moves them as empty lines).
  if (plan.columns.length === 0 && source.columns.length > 0) return refuse('PGF_SCHEMA_DRIFT', `table ${shown} has no column in common with the destination`);
  if (key !== null && key.some((k) => !plan.columns.includes(k))) {
    return refuse('PGF_SCHEMA_DRIFT', `the key of ${shown} (${key.join(', ')}) is not among the copied columns`);
  }

  const predicates: string[] = [];
  const { where: filter, cursor: cursorName } = input.table;
  if (filter) {
    const cursorColumn = cursorName ? source.columns.find((c) => c.name === cursorName) : undefined;
    const placeholders: Record<string, PlaceholderValue> = { ...input.placeholders };
    if (cursorColumn && input.highWater?.value != null) placeholders.high_water = { value: input.highWater.value, type: cursorColumn.type };
    plan.where = bindFilter(filter, placeholders, params);
    predicates.push(`(\n${plan.where}\n)`);
  }
  if (cursorName) {
    const column = source.columns.find((c) => c.name === cursorName);
    if (column) {
      const from = mode === 'incremental' && input.highWater?.cursor === column.name ? input.highWater.value : null;
      plan.cursor = { column: column.name, type: column.type, from };
      // A literal, not a bound setting: the planner must see the mark to pick the cursor's
      // index (behind current_setting() it assumes a third of the table and scans it all).
      // The value is the source's own text of its max(cursor), quoted.
      if (from !== null) predicates.push(`${quoteIdent(column.name)} >= ${quoteLiteral(from)}::${column.type}`);
      if (mode === 'incremental' && from === null) notes.push('no high-water mark yet: every row is read');
    }
  }
  plan.params = [...params.entries];
  plan.where = predicates.length > 0 ? predicates.join(' AND ') : null;

  const typeDrift = drift.some((d) => d.kind === 'type' && plan.columns.includes(d.column));
  const binarySafe = source.columns.filter((c) => plan.columns.includes(c.name)).every((c) => c.binarySafe);
  plan.format = options.binary !== false && input.sameMajor && binarySafe && !typeDrift ? 'binary' : 'text';
  if (plan.format === 'text' && options.binary !== false) {
    notes.push(!input.sameMajor ? 'text COPY: different major versions' : typeDrift ? 'text COPY: column types differ' : 'text COPY: a column type has no portable binary form');
  }

  if (destination) {
    plan.triggers = destination.triggers.filter((t) => t.enabled !== 'D').map((t) => ({ name: t.name, enabled: t.enabled as 'O' | 'R' | 'A' }));
  }
  return plan;
}

/** The source read of one chunk; `table` is set when it is a plain read of a plain table (see copyBetween). */
export function sourceSelect(plan: TablePlan, chunk: ChunkPlan): { sql: string; params: [string, string][]; table?: string } {
  const predicates = plan.where === null ? [] : [plan.where];
  predicates.push(...chunkPredicates(plan, chunk));
  const where = predicates.length > 0 ? ` WHERE ${predicates.join(' AND ')}` : '';
  const columnsOnly = plan.expressions.every((expression, index) => expression === quoteIdent(plan.columns[index] ?? ''));
  const plainRead = predicates.length === 0 && plan.params.length === 0 && columnsOnly && plan.source.kind === 'table';
  return {
    sql: `SELECT ${plan.expressions.join(', ')} FROM ONLY ${qualified(plan.name)}${where}`,
    params: plan.params,
    ...(plainRead ? { table: columnList(qualified(plan.name), plan.expressions) } : {}),
  };
}

/** `table (a, b)`, or `table` alone for a table without columns (COPY takes no empty list). */
export const columnList = (table: string, columns: readonly string[]): string => (columns.length > 0 ? `${table} (${columns.join(', ')})` : table);

/** The WHERE terms that select one chunk's rows (none for a whole table). Literals, like the cursor mark, so the planner uses the key's index. */
function chunkPredicates(plan: TablePlan, chunk: ChunkPlan): string[] {
  if (chunk.lower === null && chunk.upper === null) return [];
  const key = chunk.by === 'ctid' ? undefined : plan.source.columns.find((c) => c.name === plan.key![0])!;
  const column = key ? quoteIdent(key.name) : 'ctid';
  const type = key ? key.type : 'tid';
  const terms: string[] = [];
  if (chunk.lower !== null) terms.push(`${column} >= ${quoteLiteral(chunk.lower)}::${type}`);
  if (chunk.upper !== null) {
    // The destination's key column may be nullable on the source: the first range takes the
    // NULLs, so such a row reaches the destination and fails there instead of vanishing.
    const below = `${column} < ${quoteLiteral(chunk.upper)}::${type}`;
    terms.push(chunk.lower === null && key?.notNull === false ? `(${below} OR ${column} IS NULL)` : below);
  }
  return terms;
}

/** Consecutive ranges between the bounds, the first and last open. */
function rangeChunks(plan: TablePlan, bounds: string[], by?: 'ctid'): ChunkPlan[] {
  return [null, ...bounds].map((lower, i) => {
    const upper = bounds[i] ?? null;
    return { id: `${plan.id}[${by ? `${by} ` : ''}${lower ?? ''},${upper ?? ''})`, lower, upper, ...(by ? { by } : {}) };
  });
}

/**
 * Splits a table into ranges of about `splitRows` estimated rows: on the first column of its
 * key (integers by arithmetic on min/max, other orderable types — text, uuid, dates — at
 * boundaries from a TABLESAMPLE), or, for a table without a key, on ranges of heap pages
 * (ctid; PostgreSQL 14+ reads those with a TID range scan). Full mode on an existing table is
 * not split: it replaces the table in one transaction. Reads in the snapshot.
 */
export async function planChunks(reader: pg.Client, plan: TablePlan, splitRows: number | undefined): Promise<void> {
  if (splitRows === undefined || splitRows <= 0 || plan.status !== 'ready' || plan.estimatedRows <= splitRows) return;
  if (plan.mode === 'full' && !plan.createTable) {
    plan.notes.push('not split: full mode replaces an existing table in one transaction');
    return;
  }
  const count = Math.ceil(plan.estimatedRows / splitRows);
  if (plan.key === null) {
    await planPageChunks(reader, plan, count);
    return;
  }
  const keyColumn = plan.key[0]!;
  const type = plan.source.columns.find((c) => c.name === keyColumn)?.type;
  if (type === undefined) return;
  const bounds = integerTypes.has(type) ? await integerBounds(reader, plan, keyColumn, count) : await sampledBounds(reader, plan, keyColumn, count);
  if (bounds === null || bounds.length === 0) return;
  plan.chunks = rangeChunks(plan, bounds);
  plan.notes.push(`split into ${plan.chunks.length} key ranges on "${keyColumn}"${plan.key.length > 1 ? ` (the first of the key's ${plan.key.length} columns)` : ''}`);
}

/** Page ranges `[(p,0), (q,0))`; the last is open, so pages added since the size was read are read too. */
async function planPageChunks(reader: pg.Client, plan: TablePlan, count: number): Promise<void> {
  const result = await reader.query<{ pages: string; v: number }>(
    `SELECT pg_relation_size($1::regclass) / current_setting('block_size')::int AS pages, current_setting('server_version_num')::int AS v`,
    [qualified(plan.name)],
  );
  const { pages, v } = result.rows[0]!;
  if (v < 140000) {
    plan.notes.push('not split: a table without a key is split by page ranges, which needs PostgreSQL 14 or later on the source');
    return;
  }
  const step = Math.ceil(Number(pages) / count);
  const bounds: string[] = [];
  for (let page = step; page < Number(pages); page += step) bounds.push(`(${page},0)`);
  if (bounds.length === 0) return;
  plan.chunks = rangeChunks(plan, bounds, 'ctid');
  plan.notes.push(`split into ${plan.chunks.length} page ranges (no key)`);
}

async function integerBounds(reader: pg.Client, plan: TablePlan, keyColumn: string, count: number): Promise<string[] | null> {
  const result = await reader.query<{ lo: string | null; hi: string | null }>(
    `SELECT min(${quoteIdent(keyColumn)})::text AS lo, max(${quoteIdent(keyColumn)})::text AS hi FROM ONLY ${qualified(plan.name)}`,
  );
  const { lo, hi } = result.rows[0] ?? { lo: null, hi: null };
  if (lo === null || hi === null) return null;
  const low = BigInt(lo);
  const span = BigInt(hi) - low + 1n;
  const step = span / BigInt(count) > 0n ? span / BigInt(count) : 1n;
  const bounds: string[] = [];
  for (let i = 1n; i < BigInt(count); i++) if (low + step * i <= BigInt(hi)) bounds.push((low + step * i).toString());
  return bounds;
}

/** Boundaries at even quantiles of a sample (about 50 sampled keys per range), sorted by the server. */
async function sampledBounds(reader: pg.Client, plan: TablePlan, keyColumn: string, count: number): Promise<string[] | null> {
  const percent = Math.min(100, Math.max(0.01, (100 * count * 50) / Math.max(1, plan.estimatedRows)));
  const key = quoteIdent(keyColumn);
  const draw = async (method: 'SYSTEM' | 'BERNOULLI') =>
    (
      await reader.query<{ k: string }>(
        `SELECT ${key}::text AS k FROM (SELECT ${key} FROM ONLY ${qualified(plan.name)} TABLESAMPLE ${method} ($1) WHERE ${key} IS NOT NULL) s GROUP BY ${key} ORDER BY ${key}`,
        [percent],
      )
    ).rows.map((row) => row.k);
  // SYSTEM picks whole pages: cheap on a big table, but a small one may yield no page at all
  // (25 pages at 10 % give none 7 % of the time). BERNOULLI samples rows of every page then.
  let sample = await draw('SYSTEM');
  if (sample.length < 2 * count) sample = await draw('BERNOULLI');
  if (sample.length < 2) return null;
  const bounds: string[] = [];
  for (let i = 1; i < count; i++) {
    const value = sample[Math.floor((i * sample.length) / count)];
    if (value !== undefined && value !== bounds[bounds.length - 1]) bounds.push(value);
  }
  return bounds;
}

export function refusedError(plan: TablePlan): PgferryError {
  return new PgferryError((plan.reason?.code ?? 'PGF_INTERNAL') as never, plan.reason?.message ?? 'refused');
}
