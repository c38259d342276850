import { qualified } from '../../sql/quote-ident.js';
import { type ObjectReader, type SchemaObject, address, makeObject } from '../model/schema-object.js';
import { commentStatement, notExtensionMember, statements, userNamespace } from './read-helpers.js';

interface StatisticsRow extends Record<string, unknown> {
  tableoid: number;
  oid: number;
  schema: string;
  name: string;
  definition: string;
  target: number | null;
  table_schema: string;
  table_name: string;
  table_kind: string;
  comment: string | null;
  owner: string;
}

const relationWord: Record<string, string> = { m: 'materialized view', f: 'foreign table' };

/** Extended statistics (CREATE STATISTICS), post-data like pg_dump, with their statistics target. */
export const readStatistics: ObjectReader = async (context) => {
  // stxstattarget: int4 with -1 for the default before 17, nullable int2 from 17.
  const target = context.serverVersionNum >= 170000 ? 's.stxstattarget::int' : 'nullif(s.stxstattarget, -1)';
  const rows = await context.query<StatisticsRow>(`
    SELECT s.tableoid::int, s.oid::int, n.nspname AS schema, s.stxname AS name, pg_get_statisticsobjdef(s.oid) AS definition,
           ${target} AS target, tn.nspname AS table_schema, c.relname AS table_name, c.relkind::text AS table_kind,
           obj_description(s.oid, 'pg_statistic_ext') AS comment,
           pg_get_userbyid(s.stxowner) AS owner
      FROM pg_catalog.pg_statistic_ext s JOIN pg_catalog.pg_namespace n ON n.oid = s.stxnamespace
      JOIN pg_catalog.pg_class c ON c.oid = s.stxrelid JOIN pg_catalog.pg_namespace tn ON tn.oid = c.relnamespace
     WHERE ${userNamespace('s.stxnamespace')} AND ${notExtensionMember('pg_statistic_ext', 's.oid')}
     ORDER BY n.nspname, s.stxname`);
  return rows.map((row): SchemaObject => {
    const name = qualified(row.schema, row.name);
    const what = `STATISTICS ${name}`;
    return makeObject({
      key: `statistics ${name}`,
      kind: 'statistics',
      schema: row.schema,
      label: `statistics ${name}`,
      section: 'post-data',
      table: `${relationWord[row.table_kind] ?? 'table'} ${qualified(row.table_schema, row.table_name)}`,
      create: statements(
        row.definition,
        row.target !== null && row.target >= 0 ? `ALTER ${what} SET STATISTICS ${row.target}` : null,
        commentStatement(what, row.comment),
      ),
      addresses: [address(row.tableoid, row.oid)],
      owner: row.owner,
      drop: `DROP STATISTICS IF EXISTS ${name}`,
    });
  });
};
