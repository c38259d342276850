import type { QualifiedName } from '../sql/quote-ident.js';
import { type TableSelection, tableSelector } from '../sync/select-tables.js';

export type { TableSelection } from '../sync/select-tables.js';

/** Applies `--schemas/--tables/--exclude` exactly as `pgferry sync` does, keeping the order. */
export function selectTables<T extends QualifiedName>(tables: readonly T[], selection: TableSelection): T[] {
  return tables.filter(tableSelector(selection));
}
