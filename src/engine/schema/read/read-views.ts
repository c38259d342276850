import { qualified, quoteIdent } from '../../sql/quote-ident.js';
import { type ObjectReader, type SchemaObject, address, makeObject } from '../model/schema-object.js';
import { quoteOption } from './read-tables.js';
import { commentStatement, notExtensionMember, securityLabelStatements, securityLabelsJson, statements, userNamespace } from './read-helpers.js';

interface ViewRow extends Record<string, unknown> {
  tableoid: number;
  oid: number;
  schema: string;
  name: string;
  materialized: boolean;
  populated: boolean;
  query: string;
  options: string[] | null;
  access_method: string | null;
  columns: { name: string; type: string; collation: string | null; comment: string | null }[];
  comment: string | null;
  labels: { provider: string; label: string }[] | null;
  owner: string;
  acl: string | null;
}

/**
 * Views and materialized views. A view also offers a stub (its columns as NULL casts) that
 * the sort uses when the view is on a dependency cycle (a function returning the view's row
 * type that the view calls); a materialized view is created empty and refreshed post-data.
 */
export const readViews: ObjectReader = async (context) => {
  const rows = await context.query<ViewRow>(`
    SELECT c.tableoid::int, c.oid::int, n.nspname AS schema, c.relname AS name, c.relkind = 'm' AS materialized, c.relispopulated AS populated,
           pg_get_viewdef(c.oid, false) AS query, c.reloptions AS options,
           (SELECT am.amname FROM pg_catalog.pg_am am WHERE am.oid = c.relam AND am.amname <> 'heap') AS access_method,
           (SELECT coalesce(json_agg(json_build_object('name', a.attname, 'type', format_type(a.atttypid, a.atttypmod),
                   'collation', CASE WHEN a.attcollation <> 0 AND a.attcollation <> t.typcollation
                                     THEN (SELECT quote_ident(cn.nspname) || '.' || quote_ident(co.collname) FROM pg_catalog.pg_collation co
                                             JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace WHERE co.oid = a.attcollation) END,
                   'comment', col_description(a.attrelid, a.attnum)) ORDER BY a.attnum), '[]')
              FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
             WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped) AS columns,
           obj_description(c.oid, 'pg_class') AS comment, ${securityLabelsJson('pg_class', 'c.oid')} AS labels,
           pg_get_userbyid(c.relowner) AS owner, c.relacl::text AS acl
      FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind IN ('v', 'm') AND ${userNamespace('c.relnamespace')} AND ${notExtensionMember('pg_class', 'c.oid')}
     ORDER BY n.nspname, c.relname`);
  const out: SchemaObject[] = [];
  for (const row of rows) {
    const name = qualified(row.schema, row.name);
    const kind = row.materialized ? 'materialized view' : 'view';
    const word = row.materialized ? 'MATERIALIZED VIEW' : 'VIEW';
    const key = `${kind} ${name}`;
    const query = row.query.trim().replace(/;$/, '');
    const options = row.options && row.options.length > 0 ? ` WITH (${row.options.map(quoteOption).join(', ')})` : '';
    const using = row.access_method !== null ? ` USING ${quoteIdent(row.access_method)}` : '';
    const comments = statements(
      commentStatement(`${word} ${name}`, row.comment),
      row.columns.flatMap((c) => commentStatement(`COLUMN ${name}.${quoteIdent(c.name)}`, c.comment)),
      securityLabelStatements(`${word} ${name}`, row.labels),
    );
    const create = row.materialized
      ? `CREATE MATERIALIZED VIEW ${name}${using}${options} AS\n${query}\n  WITH NO DATA`
      : `CREATE VIEW ${name}${options} AS\n${query}`;
    const object = makeObject({
      key,
      kind,
      schema: row.schema,
      label: key,
      section: 'pre-data',
      create: [create, ...comments],
      definition: [row.materialized ? create.replace(/\n {2}WITH NO DATA$/, '') : create, ...comments].join(';\n'),
      addresses: [address(row.tableoid, row.oid)],
      owner: row.owner,
      acl: row.acl,
      drop: `DROP ${word} IF EXISTS ${name} CASCADE`,
    });
    if (!row.materialized && row.columns.length > 0) {
      const columns = row.columns.map((c) => `NULL::${c.type}${c.collation ? ` COLLATE ${c.collation}` : ''} AS ${quoteIdent(c.name)}`);
      object.stub = { create: [`CREATE VIEW ${name} AS\n SELECT ${columns.join(',\n    ')}`], deps: new Set() };
      // The real definition then replaces the stub.
      object.create[0] = create.replace(/^CREATE VIEW/, 'CREATE OR REPLACE VIEW');
    }
    out.push(object);
    if (row.materialized && row.populated) {
      out.push(
        makeObject({
          key: `materialized view data ${name}`,
          kind: 'materialized view data',
          schema: row.schema,
          label: `data of ${key}`,
          section: 'post-data',
          table: key,
          create: [`REFRESH MATERIALIZED VIEW ${name}`],
          deps: new Set([key]),
        }),
      );
    }
  }
  return out;
};
