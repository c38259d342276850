import { qualified, quoteIdent } from '../../sql/quote-ident.js';
import { type ObjectReader, type SchemaObject, address, makeObject } from '../model/schema-object.js';
import { type GenericOption, genericOptionsJson, optionsClause } from './generic-options.js';
import { commentStatement, notExtensionMember, securityLabelStatements, securityLabelsJson, statements, userNamespace } from './read-helpers.js';
import { quoteOption } from './read-tables.js';

interface ForeignColumnRow {
  name: string;
  type: string;
  not_null: boolean;
  local: boolean;
  collation: string | null;
  generated: string | null;
  default_value: string | null;
  default_oid: number | null;
  /** The default calls a user function (which may take the table's row type): set after the table. */
  default_separate: boolean;
  options: GenericOption[] | null;
  storage: string | null;
  statistics: number | null;
  attribute_options: string[] | null;
  comment: string | null;
}

interface ForeignTableRow extends Record<string, unknown> {
  tableoid: number;
  oid: number;
  schema: string;
  name: string;
  server: string;
  options: GenericOption[] | null;
  parents: string[];
  columns: ForeignColumnRow[];
  checks: { oid: number; name: string; definition: string; comment: string | null }[];
  comment: string | null;
  labels: { provider: string; label: string }[] | null;
  owner: string;
  acl: string | null;
  attrdef_class: number;
  constraint_class: number;
}

const storageWord: Record<string, string> = { p: 'PLAIN', e: 'EXTERNAL', m: 'MAIN', x: 'EXTENDED' };

const foreignTablesQuery = (serverVersionNum: number) => `
SELECT c.tableoid::int, c.oid::int, n.nspname AS schema, c.relname AS name, s.srvname AS server, ${genericOptionsJson('ft.ftoptions')} AS options,
       ARRAY(SELECT quote_ident(pn.nspname) || '.' || quote_ident(p.relname) FROM pg_catalog.pg_inherits h JOIN pg_catalog.pg_class p ON p.oid = h.inhparent
               JOIN pg_catalog.pg_namespace pn ON pn.oid = p.relnamespace WHERE h.inhrelid = c.oid ORDER BY h.inhseqno) AS parents,
       (SELECT coalesce(json_agg(json_build_object(
            'name', a.attname, 'type', format_type(a.atttypid, a.atttypmod), 'not_null', a.attnotnull, 'local', a.attislocal,
            'collation', CASE WHEN a.attcollation <> 0 AND a.attcollation <> t.typcollation
                              THEN (SELECT quote_ident(cn.nspname) || '.' || quote_ident(co.collname) FROM pg_catalog.pg_collation co
                                      JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace WHERE co.oid = a.attcollation) END,
            'generated', CASE WHEN a.attgenerated <> '' THEN pg_get_expr(ad.adbin, ad.adrelid) END,
            'default_value', CASE WHEN a.attgenerated = '' THEN pg_get_expr(ad.adbin, ad.adrelid) END,
            'default_oid', CASE WHEN a.attgenerated = '' THEN ad.oid::int END,
            'default_separate', ad.oid IS NOT NULL AND a.attgenerated = '' AND (NOT a.attislocal OR EXISTS (
                SELECT 1 FROM pg_catalog.pg_depend dd WHERE dd.classid = 'pg_attrdef'::regclass AND dd.objid = ad.oid
                   AND dd.refclassid = 'pg_proc'::regclass AND dd.refobjid::int8 >= 16384)),
            'options', ${genericOptionsJson('a.attfdwoptions')},
            'storage', CASE WHEN a.attstorage <> t.typstorage THEN a.attstorage::text END,
            'statistics', ${serverVersionNum >= 170000 ? 'a.attstattarget' : 'nullif(a.attstattarget, -1)'},
            -- pg_attver is this server build's own bookkeeping, which pg_dump leaves out too.
            'attribute_options', ARRAY(SELECT o FROM unnest(a.attoptions) WITH ORDINALITY AS u(o, n) WHERE o NOT LIKE 'pg\\_attver=%' ORDER BY n),
            'comment', col_description(a.attrelid, a.attnum)) ORDER BY a.attnum), '[]')
          FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
          LEFT JOIN pg_catalog.pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
         WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped) AS columns,
       (SELECT coalesce(json_agg(json_build_object('oid', k.oid::int, 'name', k.conname, 'definition', pg_get_constraintdef(k.oid),
            'comment', obj_description(k.oid, 'pg_constraint')) ORDER BY k.conname), '[]')
          FROM pg_catalog.pg_constraint k WHERE k.conrelid = c.oid AND k.contype = 'c' AND k.conislocal) AS checks,
       obj_description(c.oid, 'pg_class') AS comment, ${securityLabelsJson('pg_class', 'c.oid')} AS labels,
       pg_get_userbyid(c.relowner) AS owner, c.relacl::text AS acl,
       'pg_catalog.pg_attrdef'::regclass::int AS attrdef_class, 'pg_catalog.pg_constraint'::regclass::int AS constraint_class
  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_catalog.pg_foreign_table ft ON ft.ftrelid = c.oid JOIN pg_catalog.pg_foreign_server s ON s.oid = ft.ftserver
 WHERE c.relkind = 'f' AND NOT c.relispartition AND ${userNamespace('c.relnamespace')} AND ${notExtensionMember('pg_class', 'c.oid')}
 ORDER BY n.nspname, c.relname`;

function columnDefinition(column: ForeignColumnRow): string {
  const parts = [quoteIdent(column.name), column.type];
  const options = optionsClause(column.options);
  if (options !== null) parts.push(options);
  if (column.collation !== null) parts.push(`COLLATE ${column.collation}`);
  if (column.generated !== null) parts.push(`GENERATED ALWAYS AS (${column.generated}) STORED`);
  else if (column.default_value !== null && !column.default_separate) parts.push(`DEFAULT ${column.default_value}`);
  if (column.not_null) parts.push('NOT NULL');
  return parts.join(' ');
}

/** What CREATE FOREIGN TABLE cannot say about a column (inherited columns are not listed there). */
function columnAlterations(table: string, column: ForeignColumnRow): string[] {
  const name = quoteIdent(column.name);
  const alter = `ALTER FOREIGN TABLE ONLY ${table} ALTER COLUMN ${name}`;
  const out: string[] = [];
  if (!column.local) {
    if (column.not_null) out.push(`${alter} SET NOT NULL`);
    const options = optionsClause(column.options);
    if (options !== null) out.push(`${alter} ${options}`);
  }
  if (column.statistics !== null && column.statistics >= 0) out.push(`${alter} SET STATISTICS ${column.statistics}`);
  if (column.storage !== null) out.push(`${alter} SET STORAGE ${storageWord[column.storage] ?? 'EXTENDED'}`);
  if (column.attribute_options && column.attribute_options.length > 0) out.push(`${alter} SET (${column.attribute_options.map(quoteOption).join(', ')})`);
  return out;
}

/**
 * Foreign tables (not partitions: attaching those is the table layer's). An inheritance
 * child lists only its local columns. The server comes from pg_depend.
 */
export const readForeignTables: ObjectReader = async (context) => {
  const rows = await context.query<ForeignTableRow>(foreignTablesQuery(context.serverVersionNum));
  const out: SchemaObject[] = [];
  for (const row of rows) {
    const table = qualified(row.schema, row.name);
    const key = `foreign table ${table}`;
    const elements = [
      ...row.columns.filter((c) => c.local).map((c) => `    ${columnDefinition(c)}`),
      ...row.checks.map((k) => `    CONSTRAINT ${quoteIdent(k.name)} ${k.definition}`),
    ];
    let create = `CREATE FOREIGN TABLE ${table} (\n${elements.join(',\n')}\n)`;
    if (row.parents.length > 0) create += `\nINHERITS (${row.parents.join(', ')})`;
    create += `\nSERVER ${quoteIdent(row.server)}`;
    const options = optionsClause(row.options);
    if (options !== null) create += `\n${options}`;
    out.push(
      makeObject({
        key,
        kind: 'foreign table',
        schema: row.schema,
        label: key,
        section: 'pre-data',
        create: statements(
          create,
          row.columns.flatMap((c) => columnAlterations(table, c)),
          commentStatement(`FOREIGN TABLE ${table}`, row.comment),
          row.columns.flatMap((c) => commentStatement(`COLUMN ${table}.${quoteIdent(c.name)}`, c.comment)),
          row.checks.flatMap((k) => commentStatement(`CONSTRAINT ${quoteIdent(k.name)} ON ${table}`, k.comment)),
          securityLabelStatements(`FOREIGN TABLE ${table}`, row.labels),
        ),
        addresses: [
          address(row.tableoid, row.oid),
          ...row.columns.filter((c) => c.default_oid !== null && !c.default_separate).map((c) => address(row.attrdef_class, c.default_oid!)),
          ...row.checks.map((k) => address(row.constraint_class, k.oid)),
        ],
        owner: row.owner,
        acl: row.acl,
        drop: `DROP FOREIGN TABLE IF EXISTS ${table} CASCADE`,
      }),
    );
    for (const column of row.columns.filter((c) => c.default_separate && c.default_value !== null)) {
      const name = quoteIdent(column.name);
      out.push(
        makeObject({
          key: `default ${table}.${name}`,
          kind: 'default',
          schema: row.schema,
          label: `default of ${table}.${name}`,
          section: 'pre-data',
          table: key,
          create: [`ALTER FOREIGN TABLE ONLY ${table} ALTER COLUMN ${name} SET DEFAULT ${column.default_value}`],
          addresses: [address(row.attrdef_class, column.default_oid!)],
          deps: new Set([key]),
        }),
      );
    }
  }
  return out;
};
