// Catalog queries for full introspection. Every definition comes from the server's own
// deparsers; run them with `search_path = ''` so that every name in their output is
// schema-qualified. `$1` is always the array of schema names to read.

import { notExtensionMember } from './read/read-helpers.js';

export const schemasQuery = `
SELECT n.nspname AS name, obj_description(n.oid, 'pg_namespace') AS comment
  FROM pg_namespace n WHERE n.nspname = ANY($1) ORDER BY n.nspname`;

/** Enums, domains, ranges and stand-alone composite types (not a table's row type). */
export const userDefinedType = (t: string) =>
  `(${t}.typtype IN ('e', 'd', 'r') OR (${t}.typtype = 'c' AND (SELECT relkind FROM pg_class WHERE oid = ${t}.typrelid) = 'c'))`;

export const sequencesQuery = `
SELECT n.nspname AS schema, c.relname AS name, format_type(s.seqtypid, NULL) AS data_type,
       s.seqstart::text AS start, s.seqincrement::text AS increment, s.seqmin::text AS min, s.seqmax::text AS max,
       s.seqcache::text AS cache, s.seqcycle AS cycle, obj_description(c.oid, 'pg_class') AS comment,
       tn.nspname AS owner_schema, tc.relname AS owner_table, a.attname AS owner_column, d.deptype = 'i' AS identity
  FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid JOIN pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
  LEFT JOIN pg_class tc ON tc.oid = d.refobjid LEFT JOIN pg_namespace tn ON tn.oid = tc.relnamespace
  LEFT JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
 WHERE n.nspname = ANY($1) AND ${notExtensionMember('pg_class', 'c.oid')}
 ORDER BY n.nspname, c.relname`;

export const tablesQuery = `
SELECT c.oid::int AS oid, n.nspname AS schema, c.relname AS name, c.relkind = 'p' AS partitioned,
       c.relpersistence = 'u' AS unlogged, greatest(c.reltuples, 0)::float8 AS estimated_rows,
       pg_table_size(c.oid)::float8 AS estimated_bytes, -- heap + TOAST: bytea tables live in TOAST
       CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END AS partition_key,
       CASE WHEN c.relispartition THEN pg_get_expr(c.relpartbound, c.oid) END AS partition_bound,
       (SELECT json_build_object('schema', pn.nspname, 'name', p.relname) FROM pg_inherits h JOIN pg_class p ON p.oid = h.inhparent
          JOIN pg_namespace pn ON pn.oid = p.relnamespace WHERE h.inhrelid = c.oid AND c.relispartition) AS parent,
       c.relrowsecurity AS rls_enabled, c.relforcerowsecurity AS rls_forced,
       obj_description(c.oid, 'pg_class') AS comment
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = ANY($1) AND c.relkind IN ('r', 'p') AND ${notExtensionMember('pg_class', 'c.oid')}
 ORDER BY n.nspname, c.relname`;

export const columnsQuery = `
SELECT a.attrelid::int AS table_oid, a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, a.atttypid::int AS type_oid,
       t.typcategory AS category,
       (CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE a.atttypid END) < 16384
         AND NOT EXISTS (SELECT 1 FROM pg_type e WHERE e.oid = t.typelem AND e.oid >= 16384 AND t.typcategory = 'A')
         AND (t.typtype IN ('b', 'e', 'd')) AS binary_safe,
       a.attnotnull AS not_null, a.attidentity AS identity,
       CASE WHEN a.attgenerated = '' THEN pg_get_expr(ad.adbin, ad.adrelid) END AS default_value,
       CASE WHEN a.attgenerated <> '' THEN pg_get_expr(ad.adbin, ad.adrelid) END AS generated,
       CASE WHEN a.attcollation <> 0 AND a.attcollation <> t.typcollation
            THEN (SELECT quote_ident(cn.nspname) || '.' || quote_ident(co.collname) FROM pg_collation co JOIN pg_namespace cn ON cn.oid = co.collnamespace WHERE co.oid = a.attcollation) END AS collation,
       col_description(a.attrelid, a.attnum) AS comment,
       (SELECT json_build_object('schema', sn.nspname, 'name', sc.relname, 'dataType', format_type(s.seqtypid, NULL), 'start', s.seqstart::text,
               'increment', s.seqincrement::text, 'min', s.seqmin::text, 'max', s.seqmax::text, 'cache', s.seqcache::text, 'cycle', s.seqcycle)
          FROM pg_depend d JOIN pg_class sc ON sc.oid = d.objid JOIN pg_namespace sn ON sn.oid = sc.relnamespace JOIN pg_sequence s ON s.seqrelid = sc.oid
         WHERE a.attidentity <> '' AND d.refobjid = a.attrelid AND d.refobjsubid = a.attnum AND d.classid = 'pg_class'::regclass AND d.deptype = 'i') AS identity_sequence
  FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_type t ON t.oid = a.atttypid
  LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
 WHERE n.nspname = ANY($1) AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
 ORDER BY a.attrelid, a.attnum`;

// Constraints inherited from a partitioned parent (conparentid) and inherited CHECKs are
// created by the parent's DDL; NOT NULL constraints (contype 'n', PostgreSQL 18) come with columns.
export const constraintsQuery = `
SELECT c.conrelid::int AS table_oid, c.conname AS name, c.contype AS type, pg_get_constraintdef(c.oid) AS definition,
       CASE WHEN c.contype = 'f' THEN json_build_object('schema', fn.nspname, 'name', f.relname) END AS "references",
       obj_description(c.oid, 'pg_constraint') AS comment
  FROM pg_constraint c JOIN pg_class r ON r.oid = c.conrelid JOIN pg_namespace n ON n.oid = r.relnamespace
  LEFT JOIN pg_class f ON f.oid = c.confrelid LEFT JOIN pg_namespace fn ON fn.oid = f.relnamespace
 WHERE n.nspname = ANY($1) AND c.contype IN ('p', 'u', 'f', 'c', 'x') AND c.conparentid = 0 AND c.conislocal
 ORDER BY c.conrelid, c.contype, c.conname`;

export const indexesQuery = `
SELECT i.indrelid::int AS table_oid, ic.relname AS name, pg_get_indexdef(i.indexrelid) AS definition,
       obj_description(i.indexrelid, 'pg_class') AS comment
  FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_class r ON r.oid = i.indrelid
  JOIN pg_namespace n ON n.oid = r.relnamespace
 WHERE n.nspname = ANY($1) AND r.relkind IN ('r', 'p', 'm')
   AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid AND k.contype IN ('p', 'u', 'x'))
   AND NOT EXISTS (SELECT 1 FROM pg_inherits h WHERE h.inhrelid = i.indexrelid)
 ORDER BY i.indrelid, ic.relname`;

/** Primary key, else the first valid, total unique index on NOT NULL plain columns (inherited ones count). */
/** Every valid, non-partial unique index on plain columns, the best key first per table (primary, then NOT NULL, then fewest columns). */
export const keysQuery = `
SELECT i.indrelid::int AS table_oid, i.indisprimary AS primary,
       ARRAY(SELECT a.attname::text FROM unnest(i.indkey) WITH ORDINALITY u(attnum, ord)
               JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = u.attnum ORDER BY u.ord) AS columns,
       NOT EXISTS (SELECT 1 FROM unnest(i.indkey) k(attnum) JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum WHERE NOT a.attnotnull) AS not_null
  FROM pg_index i JOIN pg_class r ON r.oid = i.indrelid JOIN pg_namespace n ON n.oid = r.relnamespace
 WHERE n.nspname = ANY($1) AND i.indisunique AND i.indisvalid AND i.indpred IS NULL AND i.indexprs IS NULL
 ORDER BY i.indrelid, i.indisprimary DESC, 4 DESC, i.indnatts, i.indexrelid`;

export const triggersQuery = `
SELECT t.tgrelid::int AS table_oid, t.tgname AS name, pg_get_triggerdef(t.oid) AS definition, t.tgenabled AS enabled
  FROM pg_trigger t JOIN pg_class r ON r.oid = t.tgrelid JOIN pg_namespace n ON n.oid = r.relnamespace
 WHERE n.nspname = ANY($1) AND NOT t.tgisinternal AND t.tgparentid = 0
 ORDER BY t.tgrelid, t.tgname`;

export const policiesQuery = `
SELECT c.oid::int AS table_oid, p.policyname AS name, p.permissive = 'PERMISSIVE' AS permissive, p.cmd AS command,
       p.roles::text[] AS roles, p.qual AS using, p.with_check
  FROM pg_policies p JOIN pg_namespace n ON n.nspname = p.schemaname
  JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = p.tablename
 WHERE p.schemaname = ANY($1) ORDER BY c.oid, p.policyname`;

export const viewsQuery = `
SELECT c.oid::int AS oid, n.nspname AS schema, c.relname AS name, c.relkind = 'm' AS materialized, c.relispopulated AS populated,
       pg_get_viewdef(c.oid, true) AS query, obj_description(c.oid, 'pg_class') AS comment,
       (SELECT coalesce(json_agg(DISTINCT jsonb_build_object('schema', dn.nspname, 'name', dc.relname)), '[]')
          FROM pg_rewrite rw JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = rw.oid AND d.refclassid = 'pg_class'::regclass
          JOIN pg_class dc ON dc.oid = d.refobjid JOIN pg_namespace dn ON dn.oid = dc.relnamespace
         WHERE rw.ev_class = c.oid AND d.refobjid <> c.oid) AS depends_on
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = ANY($1) AND c.relkind IN ('v', 'm') AND ${notExtensionMember('pg_class', 'c.oid')}
 ORDER BY c.oid`;
