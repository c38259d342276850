import picomatch from 'picomatch';

import type { QualifiedName } from '../sql/quote-ident.js';

export interface TableSelection {
  /** Schemas to consider (default: every non-system schema). */
  schemas?: readonly string[] | undefined;
  /** Globs on `schema.table`, or on `table` when the glob has no dot (default: all). */
  tables?: readonly string[] | undefined;
  /** Globs removed from the selection, same syntax. */
  exclude?: readonly string[] | undefined;
}

/** A glob with a dot matches `schema.table`; without one it matches the table name in any schema. */
function matcher(globs: readonly string[]): (table: QualifiedName) => boolean {
  const tests = globs.map((glob) => {
    const match = picomatch(glob, { dot: true });
    return glob.includes('.') ? (table: QualifiedName) => match(`${table.schema}.${table.name}`) : (table: QualifiedName) => match(table.name);
  });
  return (table) => tests.some((test) => test(table));
}

/** Applies `--schemas/--tables/--exclude` to a list of tables, keeping its order. */
export function selectTables<T extends QualifiedName>(tables: readonly T[], selection: TableSelection): T[] {
  const schemas = selection.schemas && selection.schemas.length > 0 ? new Set(selection.schemas) : undefined;
  const include = selection.tables && selection.tables.length > 0 ? matcher(selection.tables) : undefined;
  const exclude = selection.exclude && selection.exclude.length > 0 ? matcher(selection.exclude) : undefined;
  return tables.filter(
    (table) => (schemas === undefined || schemas.has(table.schema)) && (include === undefined || include(table)) && !(exclude?.(table) ?? false),
  );
}
