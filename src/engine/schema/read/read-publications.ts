import { qualified, quoteIdent, quoteIdentList } from '../../sql/quote-ident.js';
import { type ObjectReader, type SchemaObject, address, makeObject } from '../model/schema-object.js';
import { commentStatement, notExtensionMember, securityLabelStatements, securityLabelsJson, statements } from './read-helpers.js';

interface PublicationRow extends Record<string, unknown> {
  tableoid: number;
  oid: number;
  name: string;
  all_tables: boolean;
  publish: string[];
  via_root: boolean;
  generated_columns: boolean;
  comment: string | null;
  labels: { provider: string; label: string }[] | null;
  owner: string;
}

interface MemberRow extends Record<string, unknown> {
  tableoid: number;
  oid: number;
  publication: string;
  schema: string;
  /** null for `TABLES IN SCHEMA`. */
  table: string | null;
  columns: string[] | null;
  row_filter: string | null;
}

const publicationsQuery = (v: number) => `
SELECT p.tableoid::int, p.oid::int, p.pubname AS name, p.puballtables AS all_tables,
       array_remove(ARRAY[CASE WHEN p.pubinsert THEN 'insert' END, CASE WHEN p.pubupdate THEN 'update' END,
                          CASE WHEN p.pubdelete THEN 'delete' END, CASE WHEN p.pubtruncate THEN 'truncate' END], NULL) AS publish,
       ${v >= 130000 ? 'p.pubviaroot' : 'false'} AS via_root, ${v >= 180000 ? `p.pubgencols::text = 's'` : 'false'} AS generated_columns,
       obj_description(p.oid, 'pg_publication') AS comment, ${securityLabelsJson('pg_publication', 'p.oid')} AS labels,
       pg_get_userbyid(p.pubowner) AS owner
  FROM pg_catalog.pg_publication p
 WHERE p.oid >= 16384 AND ${notExtensionMember('pg_publication', 'p.oid')}
 ORDER BY p.pubname`;

// Tables, with PG15's column lists and row filters, then PG15's whole schemas.
const membersQuery = (v: number) => `
SELECT pr.tableoid::int, pr.oid::int, p.pubname::text AS publication, n.nspname::text AS schema, c.relname::text AS "table",
       ${v >= 150000 ? `CASE WHEN pr.prattrs IS NOT NULL THEN ARRAY(SELECT a.attname FROM unnest(pr.prattrs) WITH ORDINALITY AS u(attnum, i)
                          JOIN pg_catalog.pg_attribute a ON a.attrelid = pr.prrelid AND a.attnum = u.attnum ORDER BY u.i)::text[] END` : 'NULL::text[]'} AS columns,
       ${v >= 150000 ? 'pg_get_expr(pr.prqual, pr.prrelid)' : 'NULL::text'} AS row_filter
  FROM pg_catalog.pg_publication_rel pr JOIN pg_catalog.pg_publication p ON p.oid = pr.prpubid
  JOIN pg_catalog.pg_class c ON c.oid = pr.prrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE p.oid >= 16384 AND ${notExtensionMember('pg_publication', 'p.oid')}
${
  v >= 150000
    ? `UNION ALL
SELECT pn.tableoid::int, pn.oid::int, p.pubname, n.nspname, NULL, NULL, NULL
  FROM pg_catalog.pg_publication_namespace pn JOIN pg_catalog.pg_publication p ON p.oid = pn.pnpubid
  JOIN pg_catalog.pg_namespace n ON n.oid = pn.pnnspid
 WHERE p.oid >= 16384 AND ${notExtensionMember('pg_publication', 'p.oid')}`
    : ''
}
 ORDER BY 3, 4, 5`;

/**
 * Publications, and each table or schema they publish as a member of its own (post-data,
 * after the tables), as pg_dump does: a member needs both the publication and the table.
 */
export const readPublications: ObjectReader = async (context) => {
  const v = context.serverVersionNum;
  const out: SchemaObject[] = [];
  for (const row of await context.query<PublicationRow>(publicationsQuery(v))) {
    const name = quoteIdent(row.name);
    const what = `PUBLICATION ${name}`;
    const options = [`publish = '${row.publish.join(', ')}'`];
    if (row.via_root) options.push('publish_via_partition_root = true');
    if (row.generated_columns) options.push('publish_generated_columns = stored');
    out.push(
      makeObject({
        key: `publication ${name}`,
        kind: 'publication',
        schema: null,
        label: `publication ${name}`,
        section: 'post-data',
        create: statements(
          `CREATE ${what}${row.all_tables ? ' FOR ALL TABLES' : ''} WITH (${options.join(', ')})`,
          commentStatement(what, row.comment),
          securityLabelStatements(what, row.labels),
        ),
        addresses: [address(row.tableoid, row.oid)],
        owner: row.owner,
        requires: row.generated_columns ? { minServerVersion: 180000 } : undefined,
        drop: `DROP PUBLICATION IF EXISTS ${name}`,
      }),
    );
  }
  for (const row of await context.query<MemberRow>(membersQuery(v))) {
    const publication = quoteIdent(row.publication);
    let target: string;
    let key: string;
    if (row.table === null) {
      target = `TABLES IN SCHEMA ${quoteIdent(row.schema)}`;
      key = `tables in schema ${quoteIdent(row.schema)}`;
    } else {
      const table = qualified(row.schema, row.table);
      target = `TABLE ONLY ${table}${row.columns ? ` (${quoteIdentList(row.columns)})` : ''}${row.row_filter !== null ? ` WHERE (${row.row_filter})` : ''}`;
      key = `table ${table}`;
    }
    out.push(
      makeObject({
        key: `publication member ${publication} ${key}`,
        kind: 'publication member',
        schema: row.schema,
        label: `${key} in publication ${publication}`,
        section: 'post-data',
        table: row.table === null ? undefined : key,
        create: [`ALTER PUBLICATION ${publication} ADD ${target}`],
        addresses: [address(row.tableoid, row.oid)],
        // pg_depend has both, but leaves out public (a built-in OID) as a dependency: named here.
        deps: new Set([`publication ${publication}`, ...(row.table === null ? [`schema ${quoteIdent(row.schema)}`] : [])]),
        requires: row.table === null || row.columns || row.row_filter !== null ? { minServerVersion: 150000 } : undefined,
      }),
    );
  }
  return out;
};
