import { quoteIdent, quoteLiteral } from '../../sql/quote-ident.js';
import { type ObjectReader, type SchemaObject, address, makeObject } from '../model/schema-object.js';
import { type GenericOption, genericOptionsJson, optionsClause } from './generic-options.js';
import { commentStatement, notExtensionMember, statements } from './read-helpers.js';

interface WrapperRow extends Record<string, unknown> {
  tableoid: number;
  oid: number;
  name: string;
  handler: string | null;
  validator: string | null;
  options: GenericOption[] | null;
  comment: string | null;
  owner: string;
  acl: string | null;
}

/** Foreign data wrappers not made by an extension (postgres_fdw's is CREATE EXTENSION's). Superuser only. */
export const readForeignDataWrappers: ObjectReader = async (context) => {
  const rows = await context.query<WrapperRow>(`
    SELECT w.tableoid::int, w.oid::int, w.fdwname AS name,
           CASE WHEN w.fdwhandler <> 0 THEN w.fdwhandler::regproc::text END AS handler,
           CASE WHEN w.fdwvalidator <> 0 THEN w.fdwvalidator::regproc::text END AS validator,
           ${genericOptionsJson('w.fdwoptions')} AS options, obj_description(w.oid, 'pg_foreign_data_wrapper') AS comment,
           pg_get_userbyid(w.fdwowner) AS owner, w.fdwacl::text AS acl
      FROM pg_catalog.pg_foreign_data_wrapper w
     WHERE w.oid >= 16384 AND ${notExtensionMember('pg_foreign_data_wrapper', 'w.oid')}
     ORDER BY w.fdwname`);
  return rows.map((row): SchemaObject => {
    const name = quoteIdent(row.name);
    const what = `FOREIGN DATA WRAPPER ${name}`;
    return makeObject({
      key: `foreign data wrapper ${name}`,
      kind: 'foreign data wrapper',
      schema: null,
      label: `foreign data wrapper ${name}`,
      section: 'pre-data',
      create: statements(
        [
          `CREATE ${what}`,
          row.handler !== null ? ` HANDLER ${row.handler}` : '',
          row.validator !== null ? ` VALIDATOR ${row.validator}` : '',
          row.options ? ` ${optionsClause(row.options)}` : '',
        ].join(''),
        commentStatement(what, row.comment),
      ),
      addresses: [address(row.tableoid, row.oid)],
      owner: row.owner,
      acl: row.acl,
      requires: { superuser: true },
      drop: `DROP FOREIGN DATA WRAPPER IF EXISTS ${name} CASCADE`,
    });
  });
};

interface ServerRow extends Record<string, unknown> {
  tableoid: number;
  oid: number;
  name: string;
  wrapper: string;
  type: string | null;
  version: string | null;
  options: GenericOption[] | null;
  comment: string | null;
  owner: string;
  acl: string | null;
}

/** Foreign servers; the wrapper (possibly an extension's) comes from pg_depend. */
export const readForeignServers: ObjectReader = async (context) => {
  const rows = await context.query<ServerRow>(`
    SELECT s.tableoid::int, s.oid::int, s.srvname AS name, w.fdwname AS wrapper, s.srvtype AS type, s.srvversion AS version,
           ${genericOptionsJson('s.srvoptions')} AS options, obj_description(s.oid, 'pg_foreign_server') AS comment,
           pg_get_userbyid(s.srvowner) AS owner, s.srvacl::text AS acl
      FROM pg_catalog.pg_foreign_server s JOIN pg_catalog.pg_foreign_data_wrapper w ON w.oid = s.srvfdw
     WHERE s.oid >= 16384 AND ${notExtensionMember('pg_foreign_server', 's.oid')}
     ORDER BY s.srvname`);
  return rows.map((row): SchemaObject => {
    const name = quoteIdent(row.name);
    const what = `SERVER ${name}`;
    return makeObject({
      key: `server ${name}`,
      kind: 'server',
      schema: null,
      label: `server ${name}`,
      section: 'pre-data',
      create: statements(
        [
          `CREATE ${what}`,
          row.type !== null ? ` TYPE ${quoteLiteral(row.type)}` : '',
          row.version !== null ? ` VERSION ${quoteLiteral(row.version)}` : '',
          ` FOREIGN DATA WRAPPER ${quoteIdent(row.wrapper)}`,
          row.options ? ` ${optionsClause(row.options)}` : '',
        ].join(''),
        commentStatement(what, row.comment),
      ),
      addresses: [address(row.tableoid, row.oid)],
      owner: row.owner,
      acl: row.acl,
      drop: `DROP SERVER IF EXISTS ${name} CASCADE`,
    });
  });
};

interface MappingRow extends Record<string, unknown> {
  tableoid: number;
  oid: number;
  server: string;
  /** null for PUBLIC. */
  role: string | null;
  options: GenericOption[] | null;
}

/**
 * User mappings. Their options usually hold a password: the values go into `create` only;
 * `definition` (what `diff --schema` prints) shows every value as '***', and the key and
 * label name only the role and the server.
 */
export const readUserMappings: ObjectReader = async (context) => {
  // pg_user_mappings shows the options to a superuser (and to the mapping's own user).
  const rows = await context.query<MappingRow>(`
    SELECT 'pg_catalog.pg_user_mapping'::regclass::int AS tableoid, m.umid::int AS oid, m.srvname AS server,
           CASE WHEN m.umuser <> 0 THEN pg_get_userbyid(m.umuser) END AS role, ${genericOptionsJson('m.umoptions')} AS options
      FROM pg_catalog.pg_user_mappings m
     WHERE m.srvid >= 16384 AND ${notExtensionMember('pg_foreign_server', 'm.srvid')}
     ORDER BY m.srvname, m.usename`);
  return rows.map((row): SchemaObject => {
    const role = row.role === null ? 'PUBLIC' : quoteIdent(row.role);
    const server = quoteIdent(row.server);
    const head = `CREATE USER MAPPING FOR ${role} SERVER ${server}`;
    const withOptions = (mask: boolean) => [head, optionsClause(row.options, mask)].filter((s) => s !== null).join(' ');
    return makeObject({
      key: `user mapping for ${role} server ${server}`,
      kind: 'user mapping',
      schema: null,
      label: `user mapping for ${role} server ${server}`,
      section: 'pre-data',
      create: [withOptions(false)],
      definition: withOptions(true),
      addresses: [address(row.tableoid, row.oid)],
      requires: row.role === null ? undefined : { roles: [row.role] },
    });
  });
};
