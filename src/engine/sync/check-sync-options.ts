import type pg from 'pg';

import { introspectSchema, listUserSchemas } from '../schema/introspect-schema.js';
import type { CatalogTable } from '../schema/schema-types.js';
import { displayName, qualified } from '../sql/quote-ident.js';
import { type SyncOptions, keyedModes, tableId } from '../types.js';
import { noKeyMessage } from './plan-table.js';
import { QueryParams, applyQueryParams } from './query-params.js';
import { tableSelector } from './select-tables.js';
import { type EffectiveTableOptions, ancestors, chosenKeyProblem, tableOptionsResolver } from './table-options.js';
import { type PlaceholderValue, bindFilter, wrapFilter } from './where-filter.js';

/** A setting that cannot work for a table: which table, which field, and from which per-table entry. */
export interface SyncOptionProblem {
  table: string;
  field: 'mode' | 'cursor' | 'where' | 'key';
  /** The `match` of the per-table entry that set the field, or null for the run's own setting. */
  match: string | null;
  message: string;
}

/** Problems listed at most (a filter wrong for every table of a big schema says so once per table otherwise). */
const problemLimit = 50;

/**
 * Checks, before a job is saved, what the servers can tell about its options: each selected
 * table's filter is planned by the source (`EXPLAIN` in a read-only transaction, never run),
 * keyed modes have a key (or the chosen key is a unique index) on the source and on an
 * existing destination table, incremental names a cursor column the table has. Reads only.
 * `placeholders` are the `{{names}}` a run will bind (with sample values of their types).
 */
export async function checkSyncOptions(
  source: pg.Client,
  destination: pg.Client | null,
  options: Pick<SyncOptions, 'schemas' | 'tables' | 'exclude' | 'mode' | 'cursor' | 'where' | 'tableOptions'>,
  placeholders: Readonly<Record<string, PlaceholderValue>>,
): Promise<SyncOptionProblem[]> {
  const schemas = options.schemas && options.schemas.length > 0 ? options.schemas : await listUserSchemas(source);
  const sourceCatalog = await introspectSchema(source, schemas);
  const destinationTables = destination ? new Map((await introspectSchema(destination, schemas)).tables.map((t) => [tableId(t.name), t])) : new Map<string, CatalogTable>();
  const all = new Map(sourceCatalog.tables.map((t) => [tableId(t.name), t]));
  const selected = tableSelector(options);
  const resolve = tableOptionsResolver(options);
  const problems: SyncOptionProblem[] = [];
  const filtered: Array<{ table: CatalogTable; options: EffectiveTableOptions }> = [];
  for (const table of sourceCatalog.tables) {
    if (table.kind !== 'table' || problems.length >= problemLimit) continue;
    const chain = [...ancestors(table, all), table];
    if (!chain.some((t) => selected(t.name))) continue;
    const effective = resolve(chain.map((t) => t.name));
    const add = (field: SyncOptionProblem['field'], message: string) => problems.push({ table: tableId(table.name), field, match: effective.from[field] ?? null, message });
    checkKeyAndCursor(table, destinationTables.get(tableId(table.name)), effective, add);
    if (effective.where) filtered.push({ table, options: effective });
  }
  // A filter that fails for one table must not hide the others': each in its own savepoint.
  if (filtered.length > 0 && problems.length < problemLimit) {
    await source.query(`BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET LOCAL statement_timeout = '10s'`);
    try {
      for (const { table, options: effective } of filtered) {
        if (problems.length >= problemLimit) break;
        const message = await explainFilter(source, table, effective, placeholders);
        if (message) problems.push({ table: tableId(table.name), field: 'where', match: effective.from.where ?? null, message });
      }
    } finally {
      await source.query('ROLLBACK');
    }
  }
  return problems;
}

function checkKeyAndCursor(table: CatalogTable, destination: CatalogTable | undefined, effective: EffectiveTableOptions, add: (field: SyncOptionProblem['field'], message: string) => void): void {
  const shown = displayName(table.name);
  if (effective.mode === 'incremental') {
    if (!effective.cursor) add('cursor', `mode "incremental" on ${shown} needs a cursor column (e.g. updated_at)`);
    // A cursor given for this very table must exist; a default one may be absent (the table is then compared by key).
    else if (effective.from.cursor !== undefined && effective.from.cursor !== '*' && !table.columns.some((c) => c.name === effective.cursor)) {
      add('cursor', `table ${shown} has no column "${effective.cursor}" to use as its cursor; name one of its columns`);
    }
  }
  if (effective.key) {
    const needsUnique = keyedModes.has(effective.mode);
    for (const [side, where] of [['source', table], ['destination', destination]] as const) {
      const problem = where && chosenKeyProblem(where, effective.key, side, effective.mode, needsUnique);
      if (problem) {
        add('key', problem.message);
        return;
      }
    }
  } else if (keyedModes.has(effective.mode) && table.key === null) {
    add('mode', noKeyMessage(shown, effective.mode));
  }
}

/** The server's complaint about a table's filter, or null when it plans. */
async function explainFilter(source: pg.Client, table: CatalogTable, effective: EffectiveTableOptions, placeholders: Readonly<Record<string, PlaceholderValue>>): Promise<string | null> {
  const cursor = effective.cursor ? table.columns.find((c) => c.name === effective.cursor) : undefined;
  const known: Record<string, PlaceholderValue> = { ...placeholders };
  if (cursor) known.high_water = { value: '', type: cursor.type };
  const params = new QueryParams('pgferry.check_');
  let sql: string;
  try {
    sql = `EXPLAIN SELECT 1 FROM ONLY ${qualified(table.name)} WHERE ${wrapFilter(bindFilter(effective.where!, known, params))}`;
  } catch (error) {
    return (error as Error).message;
  }
  await source.query('SAVEPOINT pgferry_check');
  try {
    // A placeholder's value is read with current_setting() at run time; its type is what matters here.
    await applyQueryParams(source, params.entries);
    await source.query(sql);
    return null;
  } catch (error) {
    return `the filter does not work on ${displayName(table.name)}: ${(error as Error).message}`;
  } finally {
    await source.query('ROLLBACK TO SAVEPOINT pgferry_check');
  }
}
