import type { CatalogTable } from '../schema/schema-types.js';
import { type QualifiedName, displayName } from '../sql/quote-ident.js';
import { type SyncMode, type SyncOptions, tableId } from '../types.js';
import { tableSelector } from './select-tables.js';

/** What one table is synced with: the run's options with the matching per-table entries over them. */
export interface EffectiveTableOptions {
  mode: SyncMode;
  cursor: string | undefined;
  where: string | undefined;
  key: string[] | undefined;
  /** For each field set per table, the `match` of the entry it came from (for messages and form fields). */
  from: Partial<Record<'mode' | 'cursor' | 'where' | 'key', string>>;
}

/**
 * Resolves each table's options. A partition also takes the entries that match its
 * partitioned ancestors (`names` lists the table and then its ancestors, nearest last).
 */
export function tableOptionsResolver(options: Pick<SyncOptions, 'mode' | 'cursor' | 'where' | 'tableOptions'>): (names: readonly QualifiedName[]) => EffectiveTableOptions {
  const entries = (options.tableOptions ?? []).map((entry) => ({ entry, matches: tableSelector({ tables: [entry.match] }) }));
  return (names) => {
    const resolved: EffectiveTableOptions = { mode: options.mode ?? 'full', cursor: options.cursor, where: options.where, key: undefined, from: {} };
    for (const { entry, matches } of entries) {
      if (!names.some((name) => matches(name))) continue;
      for (const field of ['mode', 'cursor', 'where', 'key'] as const) {
        if (entry[field] === undefined) continue;
        Object.assign(resolved, { [field]: entry[field] });
        resolved.from[field] = entry.match;
      }
    }
    return resolved;
  };
}

/** A partition's partitioned ancestors, outermost first (empty for a plain table); `all` by table id. */
export function ancestors(table: CatalogTable, all: ReadonlyMap<string, CatalogTable>): CatalogTable[] {
  const chain: CatalogTable[] = [];
  let current = table.partitionOf ? all.get(tableId(table.partitionOf.parent)) : undefined;
  while (current) {
    chain.unshift(current);
    current = current.partitionOf ? all.get(tableId(current.partitionOf.parent)) : undefined;
  }
  return chain;
}

/** Whether a unique index of `table` covers exactly these columns (in any order): what ON CONFLICT can match on. */
export function hasUniqueKey(table: CatalogTable, columns: readonly string[]): boolean {
  return table.uniqueKeys.some((key) => key.length === columns.length && columns.every((column) => key.includes(column)));
}

/** Why a chosen key cannot be used, or undefined: a column the table lacks, or no unique index on `side`. */
export function chosenKeyProblem(table: CatalogTable, key: readonly string[], side: 'source' | 'destination', mode: SyncMode, needsUnique: boolean): { code: 'PGF_VALIDATION_FAILED' | 'PGF_TABLE_KEY_NOT_UNIQUE'; message: string } | undefined {
  const shown = displayName(table.name);
  const unknown = key.filter((column) => !table.columns.some((c) => c.name === column));
  if (unknown.length > 0) return { code: 'PGF_VALIDATION_FAILED', message: `key column(s) ${unknown.map((c) => `"${c}"`).join(', ')} of table ${shown} do not exist on the ${side}; name columns of the table` };
  if (!needsUnique || hasUniqueKey(table, key)) return undefined;
  return {
    code: 'PGF_TABLE_KEY_NOT_UNIQUE',
    message: `the key (${key.join(', ')}) chosen for table ${shown} is not a unique index on the ${side}; mode "${mode}" matches rows with INSERT … ON CONFLICT, which needs one — create a unique index on (${key.join(', ')}) or leave the key to the primary key`,
  };
}
