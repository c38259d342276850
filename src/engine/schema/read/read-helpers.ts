import { quoteLiteral } from '../../sql/quote-ident.js';

/** Excludes catalog rows that belong to an extension (CREATE EXTENSION makes them). */
export const notExtensionMember = (classTable: string, oidColumn: string): string =>
  `NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = '${classTable}'::regclass AND d.objid = ${oidColumn} AND d.deptype = 'e')`;

/** A namespace OID column that is a user schema (not pg_catalog, pg_toast, pg_temp_*, information_schema). */
export const userNamespace = (namespaceOidColumn: string): string =>
  `(SELECT nspname FROM pg_catalog.pg_namespace WHERE oid = ${namespaceOidColumn}) !~ '^pg_' AND (SELECT nspname FROM pg_catalog.pg_namespace WHERE oid = ${namespaceOidColumn}) <> 'information_schema'`;

/** `COMMENT ON <what> IS '…'`, or nothing. `what` is e.g. `TABLE public.t` or `FUNCTION public.f(integer)`. */
export function commentStatement(what: string, comment: string | null | undefined): string[] {
  return comment === null || comment === undefined ? [] : [`COMMENT ON ${what} IS ${quoteLiteral(comment)}`];
}

/** `SECURITY LABEL FOR provider ON <what> IS '…'` for each label. */
export function securityLabelStatements(what: string, labels: readonly { provider: string; label: string }[] | null | undefined): string[] {
  return (labels ?? []).map((l) => `SECURITY LABEL FOR ${l.provider} ON ${what} IS ${quoteLiteral(l.label)}`);
}

/** SQL expression: a JSON array of {provider, label} for (classoid, objoid, objsubid 0), or null. */
export const securityLabelsJson = (classTable: string, oidColumn: string): string =>
  `(SELECT json_agg(json_build_object('provider', sl.provider, 'label', sl.label) ORDER BY sl.provider) FROM pg_catalog.pg_seclabel sl WHERE sl.classoid = '${classTable}'::regclass AND sl.objoid = ${oidColumn} AND sl.objsubid = 0)`;

/** A statement list without empty entries and without a trailing semicolon on any of them. */
export const statements = (...parts: (string | string[] | null | undefined | false)[]): string[] =>
  parts.flat().filter((s): s is string => typeof s === 'string' && s.trim() !== '').map((s) => s.trim().replace(/;\s*$/, ''));

/**
 * SQL expression: a column's `attoptions` without `pg_attver=…`, which some distribution
 * builds store on every column (not settable with ALTER COLUMN … SET), or null when none is left.
 */
export const columnOptions = (attoptionsColumn: string): string =>
  `nullif(ARRAY(SELECT o FROM unnest(${attoptionsColumn}) WITH ORDINALITY AS u(o, n) WHERE o NOT LIKE 'pg\\_attver=%' ORDER BY n), '{}')`;
