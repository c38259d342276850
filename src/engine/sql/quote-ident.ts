/**
 * The one place identifiers become SQL text. Every schema, table, column, type, index and
 * constraint name goes through `quoteIdent`/`qualified`; values never do (they are bound as
 * parameters, or for DDL that cannot take parameters, through `quoteLiteral`).
 */

// Keywords that cannot be used bare as a column or table name (pg_get_keywords() catcode
// R, T or C on PostgreSQL 15–17). Non-reserved keywords are valid identifiers unquoted.
const keywords = new Set(
  (
    'all analyse analyze and any array as asc asymmetric authorization between bigint binary bit boolean both case cast ' +
    'char character check coalesce collate collation column concurrently constraint create cross current_catalog ' +
    'current_date current_role current_schema current_time current_timestamp current_user dec decimal default ' +
    'deferrable desc distinct do else end except exists extract false fetch float for foreign freeze from full grant ' +
    'greatest group grouping having ilike in initially inner inout int integer intersect interval into is isnull join ' +
    'json json_array json_arrayagg json_exists json_object json_objectagg json_query json_scalar json_serialize ' +
    'json_table json_value lateral leading least left like limit localtime localtimestamp merge_action national natural ' +
    'nchar none normalize not notnull null nullif numeric offset on only or order out outer overlaps overlay placing ' +
    'position precision primary real references returning right row select session_user setof similar smallint some ' +
    'substring symmetric system_user table tablesample then time timestamp to trailing treat trim true union unique ' +
    'user using values varchar variadic verbose when where window with xmlattributes xmlconcat xmlelement xmlexists ' +
    'xmlforest xmlnamespaces xmlparse xmlpi xmlroot xmlserialize xmltable'
  ).split(' '),
);

/** A schema-qualified object name as it appears in the catalog (unquoted). */
export interface QualifiedName {
  readonly schema: string;
  readonly name: string;
}

/** `quote_ident` semantics: bare when lower-case, plain and not a keyword; else double-quoted. */
export function quoteIdent(name: string): string {
  if (name.length === 0) throw new Error('an SQL identifier cannot be empty');
  if (name.includes('\u0000')) throw new Error('an SQL identifier cannot contain a NUL character');
  if (/^[a-z_][a-z0-9_$]*$/.test(name) && !keywords.has(name)) return name;
  return `"${name.replace(/"/g, '""')}"`;
}

/** `"schema"."name"`, each part quoted. */
export function qualified(schemaOrName: string | QualifiedName, name?: string): string {
  if (typeof schemaOrName === 'object') return `${quoteIdent(schemaOrName.schema)}.${quoteIdent(schemaOrName.name)}`;
  if (name === undefined) return quoteIdent(schemaOrName);
  return `${quoteIdent(schemaOrName)}.${quoteIdent(name)}`;
}

/** A comma-separated list of quoted identifiers. */
export function quoteIdentList(names: readonly string[]): string {
  return names.map(quoteIdent).join(', ');
}

/**
 * A string literal for DDL that cannot take parameters (COMMENT ON, enum labels). Uses
 * standard_conforming_strings (set on every session): only single quotes are doubled.
 */
export function quoteLiteral(value: string): string {
  if (value.includes('\u0000')) throw new Error('an SQL string literal cannot contain a NUL character');
  return `'${value.replace(/'/g, "''")}'`;
}

/** `schema.table` for messages and plan output: readable, unambiguous for ordinary names. */
export function displayName(name: QualifiedName): string {
  return `${quoteIdent(name.schema)}.${quoteIdent(name.name)}`;
}
