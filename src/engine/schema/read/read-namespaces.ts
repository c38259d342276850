import { quoteIdent } from '../../sql/quote-ident.js';
import { type ObjectReader, type SchemaObject, address, makeObject } from '../model/schema-object.js';
import { commentStatement, notExtensionMember, securityLabelStatements, securityLabelsJson, statements } from './read-helpers.js';

interface SchemaRow extends Record<string, unknown> {
  tableoid: number;
  oid: number;
  name: string;
  comment: string | null;
  labels: { provider: string; label: string }[] | null;
  owner: string;
  acl: string | null;
}

/** User schemas (public included: it may carry a comment, owner or ACL of its own). */
export const readSchemas: ObjectReader = async (context) => {
  const rows = await context.query<SchemaRow>(`
    SELECT n.tableoid::int, n.oid::int, n.nspname AS name, obj_description(n.oid, 'pg_namespace') AS comment,
           ${securityLabelsJson('pg_namespace', 'n.oid')} AS labels, pg_get_userbyid(n.nspowner) AS owner, n.nspacl::text AS acl
      FROM pg_catalog.pg_namespace n
     WHERE n.nspname !~ '^pg_' AND n.nspname <> 'information_schema' AND ${notExtensionMember('pg_namespace', 'n.oid')}
     ORDER BY n.nspname`);
  return rows.map((row) => {
    const name = quoteIdent(row.name);
    // CREATE DATABASE brings public with the template's comment ('standard public schema').
    const comment = row.name === 'public' && row.comment === 'standard public schema' ? null : row.comment;
    return makeObject({
      key: `schema ${name}`,
      kind: 'schema',
      schema: row.name,
      label: `schema ${name}`,
      section: 'pre-data',
      create: statements(
        // IF NOT EXISTS: public comes with every database, and two runs may create a schema at once.
        `CREATE SCHEMA IF NOT EXISTS ${name}`,
        commentStatement(`SCHEMA ${name}`, comment),
        securityLabelStatements(`SCHEMA ${name}`, row.labels),
      ),
      definition: statements(`CREATE SCHEMA ${name}`, commentStatement(`SCHEMA ${name}`, comment)).join(';\n'),
      addresses: [address(row.tableoid, row.oid)],
      owner: row.owner,
      acl: row.acl,
      reapply: true,
    });
  });
};

interface ExtensionRow extends Record<string, unknown> {
  tableoid: number;
  oid: number;
  name: string;
  schema: string;
  version: string;
  comment: string | null;
  members: string[];
}

/**
 * Extensions (plpgsql is in every database). Each owns its members' addresses, so an object
 * that uses a member depends on the extension, and the members are never created one by one.
 */
export const readExtensions: ObjectReader = async (context) => {
  const rows = await context.query<ExtensionRow>(`
    SELECT e.tableoid::int, e.oid::int, e.extname AS name, n.nspname AS schema, e.extversion AS version,
           obj_description(e.oid, 'pg_extension') AS comment,
           ARRAY(SELECT d.classid::int || ':' || d.objid::int FROM pg_catalog.pg_depend d
                  WHERE d.refclassid = 'pg_extension'::regclass AND d.refobjid = e.oid AND d.deptype = 'e') AS members
      FROM pg_catalog.pg_extension e JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace
     WHERE e.extname <> 'plpgsql'
     ORDER BY e.extname`);
  return rows.map((row): SchemaObject => {
    const name = quoteIdent(row.name);
    return makeObject({
      key: `extension ${name}`,
      kind: 'extension',
      schema: null,
      label: `extension ${name}`,
      section: 'pre-data',
      create: statements(`CREATE EXTENSION IF NOT EXISTS ${name} WITH SCHEMA ${quoteIdent(row.schema)}`, commentStatement(`EXTENSION ${name}`, row.comment)),
      definition: `CREATE EXTENSION ${name} WITH SCHEMA ${quoteIdent(row.schema)}`,
      addresses: [address(row.tableoid, row.oid), ...row.members],
      // The schema it is installed in (pg_depend records this only as a normal dependency of the extension).
      deps: new Set([`schema ${quoteIdent(row.schema)}`]),
    });
  });
};
