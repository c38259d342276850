import picomatch from 'picomatch';

import type { QualifiedName } from '../sql/quote-ident.js';

export interface TableSelection {
  schemas?: readonly string[] | undefined;
  /** Globs; with a dot they match `schema.table`, without one the table name in any schema. */
  tables?: readonly string[] | undefined;
  exclude?: readonly string[] | undefined;
}

function matcher(patterns: readonly string[]): (name: QualifiedName) => boolean {
  const tests = patterns
    .map((pattern) => pattern.trim())
    .filter(Boolean)
    .map((pattern) => {
      const isMatch = picomatch(pattern, { dot: true });
      return pattern.includes('.') ? (name: QualifiedName) => isMatch(`${name.schema}.${name.name}`) : (name: QualifiedName) => isMatch(name.name);
    });
  return (name) => tests.some((test) => test(name));
}

/** Whether a table is selected: in the schemas, matching a table glob (if any), matching no exclude glob. Pure. */
export function tableSelector(selection: TableSelection): (name: QualifiedName) => boolean {
  const schemas = selection.schemas && selection.schemas.length > 0 ? new Set(selection.schemas) : undefined;
  const include = selection.tables && selection.tables.length > 0 ? matcher(selection.tables) : undefined;
  const exclude = selection.exclude && selection.exclude.length > 0 ? matcher(selection.exclude) : undefined;
  return (name) =>
    (schemas === undefined || schemas.has(name.schema)) && (include === undefined || include(name)) && (exclude === undefined || !exclude(name));
}

/** Splits a comma-separated CLI list, trimming blanks. */
export function splitList(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const items = value.split(',').map((item) => item.trim()).filter(Boolean);
  return items.length > 0 ? items : undefined;
}
