import { qualified, quoteIdent, quoteLiteral } from '../../sql/quote-ident.js';
import { type ObjectReader, type SchemaObject, address, makeObject } from '../model/schema-object.js';
import { columnOptions, commentStatement, notExtensionMember, securityLabelStatements, securityLabelsJson, statements, userNamespace } from './read-helpers.js';

interface ColumnRow {
  name: string;
  type: string;
  not_null: boolean;
  local: boolean;
  collation: string | null;
  identity: '' | 'a' | 'd';
  identity_sequence: { schema: string; name: string; options: string } | null;
  generated: string | null;
  /** Plain (non-generated) default; `default_oid` is its pg_attrdef row. */
  default_value: string | null;
  default_oid: number | null;
  /** The default calls a user function: created after the table (the function may use the table's row type). */
  default_separate: boolean;
  storage: string | null;
  compression: string | null;
  statistics: number | null;
  options: string[] | null;
  comment: string | null;
}

interface CheckRow {
  oid: number;
  name: string;
  definition: string;
  /** Created after the table: NOT VALID, or calling a user function. */
  separate: boolean;
  not_valid: boolean;
  comment: string | null;
}

interface TableRow extends Record<string, unknown> {
  tableoid: number;
  oid: number;
  schema: string;
  name: string;
  kind: 'r' | 'p';
  unlogged: boolean;
  partition_key: string | null;
  partition_bound: string | null;
  parent: string | null;
  parents: string[];
  reloptions: string[] | null;
  toast_options: string[] | null;
  replica_identity: string;
  access_method: string | null;
  /** `CREATE TABLE … OF type`: its columns come from the type. */
  of_type: string | null;
  comment: string | null;
  labels: { provider: string; label: string }[] | null;
  owner: string;
  acl: string | null;
  columns: ColumnRow[];
  checks: CheckRow[];
  attrdef_class: number;
  constraint_class: number;
}

const userFunctionDependency = (classTable: string, oid: string) =>
  // Looked up by the depender (the refobjid test is on a cast so the planner keeps that index).
  `EXISTS (SELECT 1 FROM pg_catalog.pg_depend dd WHERE dd.classid = '${classTable}'::regclass AND dd.objid = ${oid} AND dd.refclassid = 'pg_proc'::regclass AND dd.refobjid::int8 >= 16384)`;

// One row per table with its columns and CHECK constraints as JSON: a thousand tables read in one statement.
const tablesQuery = (serverVersionNum: number) => `
SELECT c.tableoid::int, c.oid::int, n.nspname AS schema, c.relname AS name, c.relkind::text AS kind, c.relpersistence = 'u' AS unlogged,
       CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END AS partition_key,
       CASE WHEN c.relispartition THEN pg_get_expr(c.relpartbound, c.oid) END AS partition_bound,
       (SELECT quote_ident(pn.nspname) || '.' || quote_ident(p.relname) FROM pg_catalog.pg_inherits h JOIN pg_catalog.pg_class p ON p.oid = h.inhparent
          JOIN pg_catalog.pg_namespace pn ON pn.oid = p.relnamespace WHERE h.inhrelid = c.oid AND c.relispartition) AS parent,
       ARRAY(SELECT quote_ident(pn.nspname) || '.' || quote_ident(p.relname) FROM pg_catalog.pg_inherits h JOIN pg_catalog.pg_class p ON p.oid = h.inhparent
          JOIN pg_catalog.pg_namespace pn ON pn.oid = p.relnamespace WHERE h.inhrelid = c.oid AND NOT c.relispartition ORDER BY h.inhseqno) AS parents,
       c.reloptions, (SELECT t.reloptions FROM pg_catalog.pg_class t WHERE t.oid = c.reltoastrelid) AS toast_options,
       c.relreplident::text AS replica_identity,
       (SELECT am.amname FROM pg_catalog.pg_am am WHERE am.oid = c.relam AND am.amname <> 'heap') AS access_method,
       CASE WHEN c.reloftype <> 0 THEN format_type(c.reloftype, NULL) END AS of_type,
       obj_description(c.oid, 'pg_class') AS comment, ${securityLabelsJson('pg_class', 'c.oid')} AS labels,
       pg_get_userbyid(c.relowner) AS owner, c.relacl::text AS acl,
       'pg_catalog.pg_attrdef'::regclass::int AS attrdef_class, 'pg_catalog.pg_constraint'::regclass::int AS constraint_class,
       (SELECT coalesce(json_agg(json_build_object(
            'name', a.attname, 'type', format_type(a.atttypid, a.atttypmod), 'not_null', a.attnotnull, 'local', a.attislocal,
            'collation', CASE WHEN a.attcollation <> 0 AND a.attcollation <> t.typcollation
                              THEN (SELECT quote_ident(cn.nspname) || '.' || quote_ident(co.collname) FROM pg_catalog.pg_collation co
                                      JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace WHERE co.oid = a.attcollation) END,
            'identity', a.attidentity,
            'identity_sequence', CASE WHEN a.attidentity <> '' THEN (SELECT json_build_object('schema', sn.nspname, 'name', sc.relname, 'options',
                   concat_ws(' ', 'INCREMENT BY ' || s.seqincrement, 'MINVALUE ' || s.seqmin, 'MAXVALUE ' || s.seqmax, 'START WITH ' || s.seqstart,
                             'CACHE ' || s.seqcache, CASE WHEN s.seqcycle THEN 'CYCLE' ELSE 'NO CYCLE' END))
                  FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_class sc ON sc.oid = d.objid JOIN pg_catalog.pg_namespace sn ON sn.oid = sc.relnamespace
                  JOIN pg_catalog.pg_sequence s ON s.seqrelid = sc.oid
                 WHERE d.refclassid = 'pg_class'::regclass AND d.refobjid = a.attrelid AND d.refobjsubid = a.attnum AND d.classid = 'pg_class'::regclass AND d.deptype = 'i') END,
            'generated', CASE WHEN a.attgenerated <> '' THEN pg_get_expr(ad.adbin, ad.adrelid) END,
            'default_value', CASE WHEN a.attgenerated = '' THEN pg_get_expr(ad.adbin, ad.adrelid) END,
            'default_oid', CASE WHEN a.attgenerated = '' THEN ad.oid::int END,
            'default_separate', ad.oid IS NOT NULL AND a.attgenerated = '' AND (${userFunctionDependency('pg_attrdef', 'ad.oid')} OR (NOT a.attislocal AND NOT c.relispartition)),
            'storage', CASE WHEN a.attstorage <> t.typstorage THEN a.attstorage::text END,
            'compression', ${serverVersionNum >= 140000 ? `nullif(a.attcompression::text, '')` : 'NULL'},
            'statistics', ${serverVersionNum >= 170000 ? 'a.attstattarget' : 'nullif(a.attstattarget, -1)'},
            'options', ${columnOptions('a.attoptions')},
            'comment', col_description(a.attrelid, a.attnum)) ORDER BY a.attnum), '[]')
          FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
          LEFT JOIN pg_catalog.pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
         WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped) AS columns,
       (SELECT coalesce(json_agg(json_build_object('oid', k.oid::int, 'name', k.conname, 'definition', pg_get_constraintdef(k.oid),
            'separate', NOT k.convalidated OR ${userFunctionDependency('pg_constraint', 'k.oid')}, 'not_valid', NOT k.convalidated,
            'comment', obj_description(k.oid, 'pg_constraint')) ORDER BY k.conname), '[]')
          FROM pg_catalog.pg_constraint k
         WHERE k.conrelid = c.oid AND k.contype = 'c' AND (k.conislocal OR c.relispartition)) AS checks
  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'p') AND ${userNamespace('c.relnamespace')} AND ${notExtensionMember('pg_class', 'c.oid')}
 ORDER BY n.nspname, c.relname`;

const withOptions = (options: string[] | null, toast: string[] | null): string | null => {
  const all = [...(options ?? []).map(quoteOption), ...(toast ?? []).map((o) => `toast.${quoteOption(o)}`)];
  return all.length > 0 ? `WITH (${all.join(', ')})` : null;
};

/** `name=value` from reloptions, the value quoted as a literal (as pg_dump does). */
export const quoteOption = (option: string): string => {
  const at = option.indexOf('=');
  return at < 0 ? option : `${option.slice(0, at)}=${quoteLiteral(option.slice(at + 1))}`;
};

function columnDefinition(column: ColumnRow, inlineDefault: boolean): string {
  const parts = [quoteIdent(column.name), column.type];
  if (column.compression !== null) parts.push(`COMPRESSION ${column.compression === 'p' ? 'pglz' : 'lz4'}`);
  if (column.collation !== null) parts.push(`COLLATE ${column.collation}`);
  if (column.generated !== null) {
    parts.push(`GENERATED ALWAYS AS (${column.generated}) STORED`);
  } else if (column.identity !== '') {
    const seq = column.identity_sequence;
    const options = seq ? ` (SEQUENCE NAME ${qualified(seq.schema, seq.name)} ${seq.options})` : '';
    parts.push(`GENERATED ${column.identity === 'a' ? 'ALWAYS' : 'BY DEFAULT'} AS IDENTITY${options}`);
  } else if (inlineDefault && column.default_value !== null) {
    parts.push(`DEFAULT ${column.default_value}`);
  }
  if (column.not_null) parts.push('NOT NULL');
  return parts.join(' ');
}

const storageWord: Record<string, string> = { p: 'PLAIN', e: 'EXTERNAL', m: 'MAIN', x: 'EXTENDED' };

/** Column properties CREATE TABLE cannot say: statistics targets, storage, attribute options. */
function columnAlterations(table: string, column: ColumnRow): string[] {
  const name = quoteIdent(column.name);
  const out: string[] = [];
  if (column.statistics !== null && column.statistics >= 0) out.push(`ALTER TABLE ONLY ${table} ALTER COLUMN ${name} SET STATISTICS ${column.statistics}`);
  if (column.storage !== null) out.push(`ALTER TABLE ONLY ${table} ALTER COLUMN ${name} SET STORAGE ${storageWord[column.storage] ?? 'EXTENDED'}`);
  if (column.options && column.options.length > 0) out.push(`ALTER TABLE ONLY ${table} ALTER COLUMN ${name} SET (${column.options.map((o) => o.replace('=', ' = ')).join(', ')})`);
  return out;
}

/**
 * Tables and partitioned tables, as pg_dump writes them: a partition is a table of its own
 * (its own column order) attached afterwards; an inheritance child lists only its local
 * columns and INHERITS its parents. Defaults that call user functions, and CHECKs that do
 * or are NOT VALID, are separate objects so functions over the table's row type can come
 * between.
 */
export const readTables: ObjectReader = async (context) => {
  const rows = await context.query<TableRow>(tablesQuery(context.serverVersionNum));
  const out: SchemaObject[] = [];
  for (const row of rows) {
    const table = qualified(row.schema, row.name);
    const key = `table ${table}`;
    const partition = row.parent !== null;
    const shown = row.columns.filter((c) => partition || row.parents.length === 0 || c.local);
    const checks = row.checks.filter((k) => !k.separate).map((k) => `    CONSTRAINT ${quoteIdent(k.name)} ${k.definition}`);
    let create: string;
    if (row.of_type !== null) {
      // A typed table's columns are the type's: only their options are said here.
      const options = row.columns
        .filter((c) => c.not_null || (c.default_value !== null && !c.default_separate))
        .map((c) => `    ${quoteIdent(c.name)} WITH OPTIONS${c.not_null ? ' NOT NULL' : ''}${c.default_value !== null && !c.default_separate ? ` DEFAULT ${c.default_value}` : ''}`);
      const elements = [...options, ...checks];
      create = `CREATE ${row.unlogged ? 'UNLOGGED ' : ''}TABLE ${table} OF ${row.of_type}${elements.length > 0 ? ` (\n${elements.join(',\n')}\n)` : ''}`;
    } else {
      const elements = [...shown.map((c) => `    ${columnDefinition(c, !c.default_separate)}`), ...checks];
      create = `CREATE ${row.unlogged ? 'UNLOGGED ' : ''}TABLE ${table} (\n${elements.join(',\n')}\n)`;
    }
    if (row.parents.length > 0) create += `\nINHERITS (${row.parents.join(', ')})`;
    if (row.partition_key !== null) create += `\nPARTITION BY ${row.partition_key}`;
    if (row.access_method !== null) create += `\nUSING ${quoteIdent(row.access_method)}`;
    const options = withOptions(row.reloptions, row.toast_options);
    if (options !== null) create += `\n${options}`;
    const replica = { f: 'FULL', n: 'NOTHING' }[row.replica_identity];
    out.push(
      makeObject({
        key,
        kind: 'table',
        schema: row.schema,
        label: `table ${table}`,
        section: 'pre-data',
        create: statements(
          create,
          row.columns.flatMap((c) => columnAlterations(table, c)),
          replica ? `ALTER TABLE ONLY ${table} REPLICA IDENTITY ${replica}` : null,
          commentStatement(`TABLE ${table}`, row.comment),
          row.columns.flatMap((c) => commentStatement(`COLUMN ${table}.${quoteIdent(c.name)}`, c.comment)),
          securityLabelStatements(`TABLE ${table}`, row.labels),
        ),
        addresses: [
          address(row.tableoid, row.oid),
          // Inline defaults and checks stand for the table in pg_depend.
          ...row.columns.filter((c) => c.default_oid !== null && !c.default_separate).map((c) => address(row.attrdef_class, c.default_oid!)),
          ...row.checks.filter((k) => !k.separate).map((k) => address(row.constraint_class, k.oid)),
        ],
        owner: row.owner,
        acl: row.acl,
        drop: `DROP TABLE IF EXISTS ${table} CASCADE`,
      }),
    );
    if (partition) {
      out.push(
        makeObject({
          key: `attach partition ${table}`,
          kind: 'attach partition',
          schema: row.schema,
          label: `partition ${table} of ${row.parent!}`,
          section: 'pre-data',
          table: key,
          create: [`ALTER TABLE ONLY ${row.parent!} ATTACH PARTITION ${table} ${row.partition_bound!}`],
          deps: new Set([key, `table ${row.parent!}`]),
        }),
      );
    }
    for (const column of row.columns.filter((c) => c.default_separate && c.default_value !== null)) {
      out.push(
        makeObject({
          key: `default ${table}.${quoteIdent(column.name)}`,
          kind: 'default',
          schema: row.schema,
          label: `default of ${table}.${quoteIdent(column.name)}`,
          section: 'pre-data',
          table: key,
          create: [`ALTER TABLE ONLY ${table} ALTER COLUMN ${quoteIdent(column.name)} SET DEFAULT ${column.default_value}`],
          addresses: [address(row.attrdef_class, column.default_oid!)],
          // An inherited column's default is set after the child inherits it.
          deps: new Set([key, ...(partition ? [`attach partition ${table}`] : [])]),
        }),
      );
    }
    for (const check of row.checks.filter((k) => k.separate)) {
      out.push(
        makeObject({
          key: `constraint ${table}.${quoteIdent(check.name)}`,
          kind: check.not_valid ? 'constraint' : 'check constraint',
          schema: row.schema,
          label: `constraint ${quoteIdent(check.name)} on ${table}`,
          section: check.not_valid ? 'post-data' : 'pre-data',
          table: key,
          create: statements(
            `ALTER TABLE ${partition || row.kind === 'p' ? '' : 'ONLY '}${table} ADD CONSTRAINT ${quoteIdent(check.name)} ${check.definition}`,
            commentStatement(`CONSTRAINT ${quoteIdent(check.name)} ON ${table}`, check.comment),
          ),
          addresses: [address(row.constraint_class, check.oid)],
          deps: new Set([key]),
        }),
      );
    }
    // Comments of inline checks go after the table.
    const checkComments = row.checks.filter((k) => !k.separate && k.comment !== null);
    if (checkComments.length > 0) {
      const object = out.find((o) => o.key === key)!;
      for (const check of checkComments) object.create.push(...commentStatement(`CONSTRAINT ${quoteIdent(check.name)} ON ${table}`, check.comment));
    }
  }
  return out;
};
