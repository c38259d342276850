import type { QualifiedName } from '../sql/quote-ident.js';
import type { SyncMode, SyncOptions } from '../types.js';
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
