import { quoteIdent } from '../../sql/quote-ident.js';
import { type ObjectReader, type SchemaObject, address, makeObject } from '../model/schema-object.js';
import { notExtensionMember } from './read-helpers.js';

interface Grant {
  /** null for PUBLIC. */
  grantee: string | null;
  privilege: string;
  grantable: boolean;
}

interface DefaultAclRow extends Record<string, unknown> {
  tableoid: number;
  oid: number;
  role: string;
  schema: string | null;
  type: string;
  acl: Grant[] | null;
  base: Grant[] | null;
}

const typeWords: Record<string, string> = { r: 'TABLES', S: 'SEQUENCES', f: 'FUNCTIONS', T: 'TYPES', n: 'SCHEMAS', L: 'LARGE OBJECTS' };

const explode = (acl: string) =>
  `(SELECT json_agg(json_build_object('grantee', CASE WHEN a.grantee <> 0 THEN pg_get_userbyid(a.grantee) END, 'privilege', a.privilege_type,
                                      'grantable', a.is_grantable) ORDER BY a.privilege_type)
      FROM pg_catalog.aclexplode(${acl}) a)`;

/**
 * A global entry replaces the built-in default of its object type, so it is written as the
 * difference from acldefault(); an entry IN SCHEMA only adds to it, so it is written whole
 * (pg_dump's buildDefaultACLCommands). acldefault's 's' is sequences; pg_default_acl says 'S'.
 */
const defaultAclQuery = `
SELECT da.tableoid::int, da.oid::int, pg_get_userbyid(da.defaclrole) AS role, n.nspname AS schema, da.defaclobjtype::text AS type,
       ${explode('da.defaclacl')} AS acl,
       CASE WHEN da.defaclnamespace = 0 THEN ${explode(`acldefault(CASE WHEN da.defaclobjtype = 'S' THEN 's'::"char" ELSE da.defaclobjtype END, da.defaclrole)`)} END AS base
  FROM pg_catalog.pg_default_acl da LEFT JOIN pg_catalog.pg_namespace n ON n.oid = da.defaclnamespace
 WHERE ${notExtensionMember('pg_default_acl', 'da.oid')}
 ORDER BY 3, 4 NULLS FIRST, 5`;

const grantsOf = (acl: Grant[] | null, grantee: string | null) =>
  (acl ?? []).filter((g) => g.grantee === grantee).sort((a, b) => a.privilege.localeCompare(b.privilege));
const same = (a: Grant[], b: Grant[]) => a.length === b.length && a.every((g, i) => g.privilege === b[i]!.privilege && g.grantable === b[i]!.grantable);

/**
 * The GRANT/REVOKE commands (after `prefix`) that turn `base` into `acl`: a grantee whose
 * privileges differ loses all of them, then gets the wanted ones back.
 */
export function defaultAclCommands(prefix: string, typeWord: string, acl: Grant[] | null, base: Grant[] | null): string[] {
  const grantees = [...new Set([...(base ?? []), ...(acl ?? [])].map((g) => g.grantee))];
  const out: string[] = [];
  for (const grantee of grantees) {
    const wanted = grantsOf(acl, grantee);
    const had = grantsOf(base, grantee);
    if (same(wanted, had)) continue;
    const who = grantee === null ? 'PUBLIC' : quoteIdent(grantee);
    if (had.length > 0) out.push(`${prefix}REVOKE ALL ON ${typeWord} FROM ${who}`);
    const plain = wanted.filter((g) => !g.grantable).map((g) => g.privilege);
    const withOption = wanted.filter((g) => g.grantable).map((g) => g.privilege);
    if (plain.length > 0) out.push(`${prefix}GRANT ${plain.join(', ')} ON ${typeWord} TO ${who}`);
    if (withOption.length > 0) out.push(`${prefix}GRANT ${withOption.join(', ')} ON ${typeWord} TO ${who} WITH GRANT OPTION`);
  }
  return out;
}

/** ALTER DEFAULT PRIVILEGES, one object per pg_default_acl row (role, schema or none, object type). */
export const readDefaultPrivileges: ObjectReader = async (context) => {
  const rows = await context.query<DefaultAclRow>(defaultAclQuery);
  const out: SchemaObject[] = [];
  for (const row of rows) {
    const typeWord = typeWords[row.type];
    if (typeWord === undefined) continue;
    const role = quoteIdent(row.role);
    const inSchema = row.schema === null ? '' : ` IN SCHEMA ${quoteIdent(row.schema)}`;
    const create = defaultAclCommands(`ALTER DEFAULT PRIVILEGES FOR ROLE ${role}${inSchema} `, typeWord, row.acl, row.base);
    if (create.length === 0) continue;
    const name = `default privileges for role ${role}${row.schema === null ? '' : ` in schema ${quoteIdent(row.schema)}`} on ${typeWord.toLowerCase()}`;
    const roles = [...new Set([row.role, ...(row.acl ?? []).map((g) => g.grantee).filter((g): g is string => g !== null)])];
    out.push(
      makeObject({
        key: name,
        kind: 'default privileges',
        schema: row.schema,
        label: name,
        section: 'post-data',
        create,
        addresses: [address(row.tableoid, row.oid)],
        // public (a built-in OID) is missing from pg_depend's user rows.
        deps: new Set(row.schema === null ? [] : [`schema ${quoteIdent(row.schema)}`]),
        requires: { roles, ...(row.type === 'L' ? { minServerVersion: 180000 } : {}) },
      }),
    );
  }
  return out;
};
