import type pg from 'pg';

import { notExtensionMember } from '../schema/read/read-helpers.js';
import { userDefinedType } from '../schema/schema-queries.js';
import { type QualifiedName, qualified, quoteIdent } from '../sql/quote-ident.js';
import { tableId } from '../types.js';

/** One object's owner and access list on the source, as read by {@link readSourcePrivileges}. */
export interface SourcePrivileges {
  kind: 'schema' | 'table' | 'partitioned table' | 'view' | 'materialized view' | 'sequence' | 'foreign table' | 'function' | 'procedure' | 'type' | 'domain';
  /** For functions and types, `name.name` is the server's spelling with argument types (`app.f(integer)`), already quoted. */
  name: QualifiedName;
  owner: string;
  /** A sequence owned by a column (serial, identity): its owner follows the table's. */
  ownedByColumn: boolean;
  /** No ACL (the built-in default): for functions and types that default includes PUBLIC. */
  defaultAcl: boolean;
  grants: AclEntry[];
  columnGrants: (AclEntry & { column: string })[];
}

/** One `aclexplode` row; grantee null is PUBLIC. */
export interface AclEntry {
  grantee: string | null;
  privilege: string;
  grantable: boolean;
}

/** An ownership or grant statement; `table` (a table id) ties it to a copied table that must have succeeded. */
export interface PrivilegeStatement {
  object: string;
  sql: string;
  roles: string[];
  table?: string | undefined;
}

/** One `aclexplode` row (alias `a`) as JSON; grantee 0 is PUBLIC, spelled null. */
const aclEntryJson = `'grantee', CASE WHEN a.grantee = 0 THEN NULL ELSE pg_get_userbyid(a.grantee) END, 'privilege', a.privilege_type, 'grantable', a.is_grantable`;

const aclJson = (acl: string) => `(SELECT coalesce(json_agg(json_build_object(${aclEntryJson})), '[]') FROM aclexplode(${acl}) a)`;

// Run with search_path = '' (as every engine session is): regprocedure and regtype spell names qualified.
const privilegesQuery = `
SELECT 'schema' AS kind, n.nspname AS schema, n.nspname AS name, pg_get_userbyid(n.nspowner) AS owner, false AS owned_by_column,
       n.nspacl IS NULL AS default_acl, ${aclJson('n.nspacl')} AS grants, '[]'::json AS column_grants
  FROM pg_namespace n WHERE n.nspname = ANY($1)
UNION ALL
SELECT CASE c.relkind WHEN 'S' THEN 'sequence' WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view' WHEN 'p' THEN 'partitioned table' WHEN 'f' THEN 'foreign table' ELSE 'table' END,
       n.nspname, c.relname, pg_get_userbyid(c.relowner),
       c.relkind = 'S' AND EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')),
       c.relacl IS NULL, ${aclJson('c.relacl')},
       (SELECT coalesce(json_agg(json_build_object('column', at.attname, ${aclEntryJson}) ORDER BY at.attnum), '[]')
          FROM pg_attribute at, aclexplode(at.attacl) a WHERE at.attrelid = c.oid AND at.attnum > 0 AND NOT at.attisdropped AND at.attacl IS NOT NULL)
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = ANY($1) AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
UNION ALL
SELECT CASE p.prokind WHEN 'p' THEN 'procedure' ELSE 'function' END, n.nspname, p.oid::regprocedure::text, pg_get_userbyid(p.proowner), false,
       p.proacl IS NULL, ${aclJson('p.proacl')}, '[]'::json
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE n.nspname = ANY($1) AND p.prokind IN ('f', 'p') AND ${notExtensionMember('pg_proc', 'p.oid')}
UNION ALL
SELECT CASE t.typtype WHEN 'd' THEN 'domain' ELSE 'type' END, n.nspname, t.oid::regtype::text, pg_get_userbyid(t.typowner), false,
       t.typacl IS NULL, ${aclJson('t.typacl')}, '[]'::json
  FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
 WHERE n.nspname = ANY($1) AND ${userDefinedType('t')} AND ${notExtensionMember('pg_type', 't.oid')}`;

/** Owners and ACLs of the schemas' objects, read on the source (inside the run's snapshot). */
export async function readSourcePrivileges(source: pg.Client, schemas: string[]): Promise<SourcePrivileges[]> {
  const result = await source.query<{
    kind: SourcePrivileges['kind'];
    schema: string;
    name: string;
    owner: string;
    owned_by_column: boolean;
    default_acl: boolean;
    grants: AclEntry[];
    column_grants: (AclEntry & { column: string })[];
  }>(privilegesQuery, [schemas]);
  return result.rows.map((row) => ({
    kind: row.kind,
    name: { schema: row.schema, name: row.name },
    owner: row.owner,
    ownedByColumn: row.owned_by_column,
    defaultAcl: row.default_acl,
    grants: row.grants,
    columnGrants: row.column_grants,
  }));
}

const alterKeyword: Record<SourcePrivileges['kind'], string> = {
  schema: 'SCHEMA',
  table: 'TABLE',
  'partitioned table': 'TABLE',
  view: 'VIEW',
  'materialized view': 'MATERIALIZED VIEW',
  sequence: 'SEQUENCE',
  'foreign table': 'FOREIGN TABLE',
  function: 'FUNCTION',
  procedure: 'PROCEDURE',
  type: 'TYPE',
  domain: 'DOMAIN',
};

const spelledByServer = new Set<SourcePrivileges['kind']>(['function', 'procedure', 'type', 'domain']);

/** Functions, procedures, types and domains: created with the run's schemas, so all of them are the run's. */
export const isRoutineOrType = (item: SourcePrivileges): boolean => spelledByServer.has(item.kind);

/** The object as SQL names it: `app`, `app.items`, `app.f(integer)`. */
const sqlName = (item: SourcePrivileges) => (item.kind === 'schema' ? quoteIdent(item.name.schema) : spelledByServer.has(item.kind) ? item.name.name : qualified(item.name));

const grantKeyword = (item: SourcePrivileges) =>
  item.kind === 'sequence' || item.kind === 'schema' || spelledByServer.has(item.kind) ? alterKeyword[item.kind] : 'TABLE';

const grantTarget = (item: SourcePrivileges) => `${grantKeyword(item)} ${sqlName(item)}`;

/** The privilege PUBLIC holds on a new function or type by default. */
const publicDefault: Partial<Record<SourcePrivileges['kind'], string>> = { function: 'EXECUTE', procedure: 'EXECUTE', type: 'USAGE', domain: 'USAGE' };

const roleSql = (grantee: string | null) => (grantee === null ? 'PUBLIC' : quoteIdent(grantee));

/**
 * ALTER … OWNER TO and GRANT statements that give the destination's copies the source's owners
 * and grants. Grants are added, never revoked — except PUBLIC's built-in EXECUTE/USAGE on a
 * function or type whose source ACL no longer has it; the owner's own entries come with
 * ownership, so they are left out; the grantor is the sync role. Pure; exported for tests.
 */
export function privilegeStatements(items: SourcePrivileges[], options: { owners: boolean; grants: boolean }, tableOf: (item: SourcePrivileges) => string | undefined): PrivilegeStatement[] {
  const out: PrivilegeStatement[] = [];
  for (const item of items) {
    const shown = `${item.kind} ${sqlName(item)}`;
    const table = tableOf(item);
    if (options.owners && !item.ownedByColumn) {
      out.push({ object: `owner of ${shown}`, sql: `ALTER ${alterKeyword[item.kind]} ${sqlName(item)} OWNER TO ${quoteIdent(item.owner)}`, roles: [item.owner], table });
    }
    if (!options.grants || item.defaultAcl) continue;
    // The source took PUBLIC's default EXECUTE/USAGE away (a SECURITY DEFINER function, say): so does the copy.
    const byDefault = publicDefault[item.kind];
    if (byDefault && !item.grants.some((g) => g.grantee === null && g.privilege === byDefault)) {
      out.push({ object: `REVOKE ${byDefault} on ${shown} from PUBLIC`, sql: `REVOKE ${byDefault} ON ${grantTarget(item)} FROM PUBLIC`, roles: [], table });
    }
    // One GRANT per grantee and grant option; column privileges are spelled `SELECT (col)` on the table.
    const entries = [
      ...item.grants.map((g) => ({ ...g, spelled: g.privilege, on: grantTarget(item) })),
      ...item.columnGrants.map((g) => ({ ...g, spelled: `${g.privilege} (${quoteIdent(g.column)})`, on: `TABLE ${qualified(item.name)}` })),
    ].filter((g) => g.grantee !== item.owner);
    const groups = new Map<string, typeof entries>();
    for (const entry of entries) {
      const key = `${entry.on}\u0000${entry.grantee ?? ''}\u0000${entry.grantable}`;
      groups.set(key, [...(groups.get(key) ?? []), entry]);
    }
    for (const group of groups.values()) {
      const { grantee, grantable, on } = group[0]!;
      const privileges = group.map((e) => e.spelled).join(', ');
      out.push({
        object: `GRANT ${privileges} on ${shown} to ${grantee ?? 'PUBLIC'}`,
        sql: `GRANT ${privileges} ON ${on} TO ${roleSql(grantee)}${grantable ? ' WITH GRANT OPTION' : ''}`,
        roles: grantee === null ? [] : [grantee],
        table,
      });
    }
  }
  return out;
}

/**
 * Keeps the statements whose roles exist on the destination; the others become one warning
 * per missing role, so a staging server without production's roles still gets the rest.
 */
export async function keepExistingRoles(destination: pg.Client, statements: PrivilegeStatement[]): Promise<{ statements: PrivilegeStatement[]; warnings: string[] }> {
  const wanted = [...new Set(statements.flatMap((s) => s.roles))];
  if (wanted.length === 0) return { statements, warnings: [] };
  const found = await destination.query<{ rolname: string }>('SELECT rolname FROM pg_roles WHERE rolname = ANY($1)', [wanted]);
  const existing = new Set(found.rows.map((row) => row.rolname));
  const warnings = wanted
    .filter((role) => !existing.has(role))
    .map((role) => {
      const count = statements.filter((s) => s.roles.includes(role)).length;
      return `role ${quoteIdent(role)} does not exist on the destination: ${count} ownership/grant statement(s) naming it were skipped; create the role (\`pgferry backup --globals\` saves roles) and run the sync again`;
    });
  return { statements: statements.filter((s) => s.roles.every((role) => existing.has(role))), warnings };
}

/** Runs the statements one by one in autocommit; a failure (e.g. not a member of the new owner role) is a warning naming it. */
export async function applyPrivileges(client: pg.Client, statements: readonly PrivilegeStatement[]): Promise<string[]> {
  const warnings: string[] = [];
  for (const statement of statements) {
    try {
      await client.query(statement.sql);
    } catch (error) {
      warnings.push(`${statement.object} was not applied on the destination: ${(error as Error).message}${statement.object.startsWith('owner') ? ' (the sync role must be a member of the new owner role)' : ''}`);
    }
  }
  return warnings;
}

export interface PrivilegePlanInput {
  source: pg.Client;
  destination: pg.Client;
  schemas: string[];
  /** Table ids of the run's tables (with partitioned parents), sequences and views. */
  objects: ReadonlySet<string>;
  tableOf: (item: SourcePrivileges) => string | undefined;
  options: { owners: boolean; grants: boolean };
  /** `schema.name(argtypes)` (regprocedure's spelling) of the functions and procedures this run creates. */
  createdFunctions: ReadonlySet<string>;
}

/**
 * The owner and grant statements of a run; without `--grants`, a warning for each function
 * the run creates whose source ACL keeps PUBLIC out: its copy gets PUBLIC's default EXECUTE.
 */
export async function planPrivileges(input: PrivilegePlanInput): Promise<{ statements: PrivilegeStatement[]; warnings: string[] }> {
  const wanted = input.options.owners || input.options.grants;
  if (!wanted && input.createdFunctions.size === 0) return { statements: [], warnings: [] };
  const items = (await readSourcePrivileges(input.source, input.schemas)).filter(
    (item) => item.kind === 'schema' || isRoutineOrType(item) || input.objects.has(tableId(item.name)),
  );
  const warnings = input.options.grants ? [] : exposedFunctions(items, input.createdFunctions);
  if (!wanted) return { statements: [], warnings };
  const kept = await keepExistingRoles(input.destination, privilegeStatements(items, input.options, input.tableOf));
  return { statements: kept.statements, warnings: [...warnings, ...kept.warnings] };
}

function exposedFunctions(items: SourcePrivileges[], created: ReadonlySet<string>): string[] {
  return items
    .filter((item) => (item.kind === 'function' || item.kind === 'procedure') && !item.defaultAcl && created.has(item.name.name))
    .filter((item) => !item.grants.some((g) => g.grantee === null && g.privilege === 'EXECUTE'))
    .map(
      (item) =>
        `${item.kind} ${item.name.name} is not executable by PUBLIC on the source, but its new copy on the destination is (grants are not copied); run with --grants, or REVOKE EXECUTE ON ${alterKeyword[item.kind]} ${item.name.name} FROM PUBLIC on the destination`,
    );
}

/** For statements on a copied table (or a sequence it owns): that table's id, so they wait for its success. */
export function copiedTableOf(copied: ReadonlySet<string>, sequenceTables: ReadonlyMap<string, string | null>) {
  return (item: SourcePrivileges): string | undefined => {
    const id = tableId(item.name);
    if (item.kind === 'sequence') return sequenceTables.get(id) ?? undefined;
    return copied.has(id) ? id : undefined;
  };
}
