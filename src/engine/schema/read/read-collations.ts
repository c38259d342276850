import { qualified, quoteLiteral } from '../../sql/quote-ident.js';
import { type ObjectReader, type SchemaObject, address, makeObject } from '../model/schema-object.js';
import { commentStatement, notExtensionMember, securityLabelStatements, securityLabelsJson, statements, userNamespace } from './read-helpers.js';

interface CollationRow extends Record<string, unknown> {
  tableoid: number;
  oid: number;
  schema: string;
  name: string;
  provider: string;
  deterministic: boolean;
  collate: string | null;
  ctype: string | null;
  locale: string | null;
  rules: string | null;
  comment: string | null;
  labels: { provider: string; label: string }[] | null;
  owner: string;
}

const providers: Record<string, string> = { c: 'libc', i: 'icu', b: 'builtin' };

/** User collations, libc, ICU and (PostgreSQL 17+) builtin ones; the provider's version is not copied. */
export const readCollations: ObjectReader = async (context) => {
  const v = context.serverVersionNum;
  // The ICU/builtin locale moved: colliculocale (15, 16), colllocale (17+); before 15 it was collcollate.
  const locale = v >= 170000 ? 'c.colllocale' : v >= 150000 ? 'c.colliculocale' : 'NULL::text';
  const rows = await context.query<CollationRow>(`
    SELECT c.tableoid::int, c.oid::int, n.nspname AS schema, c.collname AS name, c.collprovider::text AS provider,
           c.collisdeterministic AS deterministic, c.collcollate AS collate, c.collctype AS ctype, ${locale} AS locale,
           ${v >= 160000 ? 'c.collicurules' : 'NULL::text'} AS rules,
           obj_description(c.oid, 'pg_collation') AS comment, ${securityLabelsJson('pg_collation', 'c.oid')} AS labels,
           pg_get_userbyid(c.collowner) AS owner
      FROM pg_catalog.pg_collation c JOIN pg_catalog.pg_namespace n ON n.oid = c.collnamespace
     WHERE ${userNamespace('c.collnamespace')} AND ${notExtensionMember('pg_collation', 'c.oid')}
     ORDER BY n.nspname, c.collname`);
  return rows.map((row): SchemaObject => {
    const name = qualified(row.schema, row.name);
    const options = [`provider = ${providers[row.provider] ?? 'libc'}`];
    if (row.provider === 'c') {
      if (row.collate === row.ctype) options.push(`locale = ${quoteLiteral(row.collate ?? '')}`);
      else options.push(`lc_collate = ${quoteLiteral(row.collate ?? '')}`, `lc_ctype = ${quoteLiteral(row.ctype ?? '')}`);
    } else {
      options.push(`locale = ${quoteLiteral(row.locale ?? row.collate ?? '')}`);
    }
    if (!row.deterministic) options.push('deterministic = false');
    if (row.rules !== null) options.push(`rules = ${quoteLiteral(row.rules)}`);
    return makeObject({
      key: `collation ${name}`,
      kind: 'collation',
      schema: row.schema,
      label: `collation ${name}`,
      section: 'pre-data',
      create: statements(
        `CREATE COLLATION ${name} (${options.join(', ')})`,
        commentStatement(`COLLATION ${name}`, row.comment),
        securityLabelStatements(`COLLATION ${name}`, row.labels),
      ),
      addresses: [address(row.tableoid, row.oid)],
      owner: row.owner,
      drop: `DROP COLLATION IF EXISTS ${name} CASCADE`,
    });
  });
};
