import type { CatalogQuery } from './catalog-types.js';

// Browse-level catalog queries. Pure: they return text + values and touch no database, so
// they can be printed and unit-tested. Names are always parameters, never spliced in.

/** Schemas a user would recognise: not pg_catalog, pg_toast, temp schemas or information_schema. */
const userSchemaFilter = `n.nspname <> 'information_schema' AND n.nspname !~ '^pg_'`;

export function listSchemasQuery(): CatalogQuery {
  return {
    text: `SELECT n.nspname AS name,
       pg_get_userbyid(n.nspowner) AS owner,
       (SELECT count(*) FROM pg_class c WHERE c.relnamespace = n.oid AND c.relkind IN ('r', 'p'))::int AS table_count,
       has_schema_privilege(n.oid, 'USAGE') AS can_use,
       has_schema_privilege(n.oid, 'CREATE') AS can_create,
       obj_description(n.oid, 'pg_namespace') AS comment
  FROM pg_namespace n
 WHERE ${userSchemaFilter}
 ORDER BY n.nspname`,
    values: [],
  };
}

/** Columns of the table query shared by listing and describing (`c` is the pg_class row). */
const tableColumns = `n.nspname AS schema,
       c.relname AS name,
       CASE c.relkind WHEN 'p' THEN 'partitioned' ELSE 'table' END AS kind,
       CASE WHEN c.relkind = 'p'
            THEN (SELECT sum(greatest(l.reltuples, 0))::bigint FROM pg_partition_tree(c.oid) t
                   JOIN pg_class l ON l.oid = t.relid WHERE t.isleaf)
            WHEN c.reltuples < 0 THEN NULL
            ELSE c.reltuples::bigint END AS estimated_rows,
       CASE WHEN c.relkind = 'p'
            THEN coalesce((SELECT sum(pg_total_relation_size(t.relid)) FROM pg_partition_tree(c.oid) t), 0)::bigint
            ELSE pg_total_relation_size(c.oid) END AS total_bytes,
       ARRAY(SELECT a.attname::text
               FROM pg_constraint k
               CROSS JOIN LATERAL unnest(k.conkey) WITH ORDINALITY AS u(attnum, ord)
               JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.attnum
              WHERE k.conrelid = c.oid AND k.contype = 'p'
              ORDER BY u.ord) AS primary_key,
       EXISTS (SELECT 1 FROM pg_index i
                WHERE i.indrelid = c.oid AND i.indisunique AND NOT i.indisprimary AND i.indisvalid
                  AND i.indpred IS NULL AND i.indexprs IS NULL
                  AND NOT EXISTS (SELECT 1 FROM unnest(i.indkey) AS k(attnum)
                                    JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
                                   WHERE NOT a.attnotnull)) AS has_unique_key,
       CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END AS partition_key,
       (SELECT count(*) FROM pg_inherits h WHERE h.inhparent = c.oid)::int AS partition_count,
       (SELECT json_build_object('schema', pn.nspname, 'name', p.relname)
          FROM pg_inherits h JOIN pg_class p ON p.oid = h.inhparent JOIN pg_namespace pn ON pn.oid = p.relnamespace
         WHERE h.inhrelid = c.oid AND c.relispartition) AS partition_of,
       has_table_privilege(c.oid, 'SELECT') AS can_select,
       obj_description(c.oid, 'pg_class') AS comment`;

/** Ordinary and partitioned tables of one schema (partitions included, with their parent). */
export function listTablesQuery(schema: string): CatalogQuery {
  return {
    text: `SELECT ${tableColumns}
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = $1 AND c.relkind IN ('r', 'p')
 ORDER BY c.relname`,
    values: [schema],
  };
}

export function tableQuery(schema: string, table: string): CatalogQuery {
  return {
    text: `SELECT ${tableColumns}
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p')`,
    values: [schema, table],
  };
}

export function listColumnsQuery(schema: string, table: string): CatalogQuery {
  return {
    text: `SELECT a.attnum::int AS position,
       a.attname AS name,
       format_type(a.atttypid, a.atttypmod) AS data_type,
       NOT a.attnotnull AS nullable,
       CASE WHEN a.attgenerated = '' THEN pg_get_expr(d.adbin, d.adrelid) END AS "default",
       CASE a.attidentity WHEN 'a' THEN 'always' WHEN 'd' THEN 'by default' END AS identity,
       CASE WHEN a.attgenerated <> '' THEN pg_get_expr(d.adbin, d.adrelid) END AS generated,
       CASE WHEN a.attcollation <> 0 AND a.attcollation <> t.typcollation THEN co.collname END AS collation,
       col_description(c.oid, a.attnum) AS comment
  FROM pg_attribute a
  JOIN pg_class c ON c.oid = a.attrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_type t ON t.oid = a.atttypid
  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
  LEFT JOIN pg_collation co ON co.oid = a.attcollation
 WHERE n.nspname = $1 AND c.relname = $2 AND a.attnum > 0 AND NOT a.attisdropped
 ORDER BY a.attnum`,
    values: [schema, table],
  };
}

export function listKeysQuery(schema: string, table: string): CatalogQuery {
  return {
    text: `SELECT k.conname AS name,
       CASE k.contype WHEN 'p' THEN 'primary' ELSE 'unique' END AS kind,
       ARRAY(SELECT a.attname::text FROM unnest(k.conkey) WITH ORDINALITY AS u(attnum, ord)
               JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.attnum ORDER BY u.ord) AS columns
  FROM pg_constraint k
  JOIN pg_class c ON c.oid = k.conrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = $1 AND c.relname = $2 AND k.contype IN ('p', 'u')
 ORDER BY k.contype, k.conname`,
    values: [schema, table],
  };
}

export interface ForeignKeyFilter {
  /** Only foreign keys declared on tables of this schema (or referencing it, with `referencing`). */
  schema?: string;
  table?: string;
  /** `declared` (default): keys on the table(s); `referencing`: keys of others pointing at them. */
  side?: 'declared' | 'referencing';
}

const fkAction = (column: string) =>
  `CASE ${column} WHEN 'a' THEN 'no action' WHEN 'r' THEN 'restrict' WHEN 'c' THEN 'cascade' WHEN 'n' THEN 'set null' ELSE 'set default' END`;

/** Foreign keys with ordered column lists, e.g. for FK-aware load order. */
export function listForeignKeysQuery(filter: ForeignKeyFilter = {}): CatalogQuery {
  const [schemaColumn, tableColumn] = filter.side === 'referencing' ? ['tn.nspname', 'tc.relname'] : ['sn.nspname', 'sc.relname'];
  return {
    text: `SELECT k.conname AS name,
       sn.nspname AS schema, sc.relname AS "table",
       ARRAY(SELECT a.attname::text FROM unnest(k.conkey) WITH ORDINALITY AS u(attnum, ord)
               JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.attnum ORDER BY u.ord) AS columns,
       tn.nspname AS referenced_schema, tc.relname AS referenced_table,
       ARRAY(SELECT a.attname::text FROM unnest(k.confkey) WITH ORDINALITY AS u(attnum, ord)
               JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = u.attnum ORDER BY u.ord) AS referenced_columns,
       ${fkAction('k.confupdtype')} AS on_update,
       ${fkAction('k.confdeltype')} AS on_delete,
       k.condeferrable AS deferrable,
       k.condeferred AS initially_deferred,
       k.convalidated AS validated,
       pg_get_constraintdef(k.oid) AS definition
  FROM pg_constraint k
  JOIN pg_class sc ON sc.oid = k.conrelid JOIN pg_namespace sn ON sn.oid = sc.relnamespace
  JOIN pg_class tc ON tc.oid = k.confrelid JOIN pg_namespace tn ON tn.oid = tc.relnamespace
 WHERE k.contype = 'f'
   -- a foreign key on a partitioned table is repeated on every partition; show it once
   AND k.conparentid = 0
   AND ($1::text IS NULL OR ${schemaColumn} = $1)
   AND ($2::text IS NULL OR ${tableColumn} = $2)
 ORDER BY sn.nspname, sc.relname, k.conname`,
    values: [filter.schema ?? null, filter.table ?? null],
  };
}
