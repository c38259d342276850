import { qualified } from '../../sql/quote-ident.js';
import { type ObjectReader, type SchemaObject, address, makeObject } from '../model/schema-object.js';
import { commentStatement, notExtensionMember, securityLabelStatements, securityLabelsJson, statements, userNamespace } from './read-helpers.js';

interface SequenceRow extends Record<string, unknown> {
  tableoid: number;
  oid: number;
  schema: string;
  name: string;
  unlogged: boolean;
  options: string;
  owned_by: string | null;
  owned_table: string | null;
  comment: string | null;
  labels: { provider: string; label: string }[] | null;
  owner: string;
  acl: string | null;
}

/**
 * Sequences other than identity sequences (those come with their column). OWNED BY is a
 * separate object after the table, because the table's default already needs the sequence.
 */
export const readSequences: ObjectReader = async (context) => {
  const rows = await context.query<SequenceRow>(`
    SELECT c.tableoid::int, c.oid::int, n.nspname AS schema, c.relname AS name, c.relpersistence = 'u' AS unlogged,
           concat_ws(' ', 'AS ' || format_type(s.seqtypid, NULL), 'INCREMENT BY ' || s.seqincrement, 'MINVALUE ' || s.seqmin, 'MAXVALUE ' || s.seqmax,
                     'START WITH ' || s.seqstart, 'CACHE ' || s.seqcache, CASE WHEN s.seqcycle THEN 'CYCLE' ELSE 'NO CYCLE' END) AS options,
           (SELECT quote_ident(tn.nspname) || '.' || quote_ident(tc.relname) || '.' || quote_ident(a.attname)
              FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_class tc ON tc.oid = d.refobjid JOIN pg_catalog.pg_namespace tn ON tn.oid = tc.relnamespace
              JOIN pg_catalog.pg_attribute a ON a.attrelid = tc.oid AND a.attnum = d.refobjsubid
             WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.refclassid = 'pg_class'::regclass AND d.deptype = 'a') AS owned_by,
           (SELECT quote_ident(tn.nspname) || '.' || quote_ident(tc.relname)
              FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_class tc ON tc.oid = d.refobjid JOIN pg_catalog.pg_namespace tn ON tn.oid = tc.relnamespace
             WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.refclassid = 'pg_class'::regclass AND d.deptype = 'a') AS owned_table,
           obj_description(c.oid, 'pg_class') AS comment, ${securityLabelsJson('pg_class', 'c.oid')} AS labels,
           pg_get_userbyid(c.relowner) AS owner, c.relacl::text AS acl
      FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace JOIN pg_catalog.pg_sequence s ON s.seqrelid = c.oid
     WHERE c.relkind = 'S' AND ${userNamespace('c.relnamespace')} AND ${notExtensionMember('pg_class', 'c.oid')}
       AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'i')
     ORDER BY n.nspname, c.relname`);
  const out: SchemaObject[] = [];
  for (const row of rows) {
    const name = qualified(row.schema, row.name);
    const key = `sequence ${name}`;
    out.push(
      makeObject({
        key,
        kind: 'sequence',
        schema: row.schema,
        label: key,
        section: 'pre-data',
        create: statements(
          `CREATE ${row.unlogged ? 'UNLOGGED ' : ''}SEQUENCE ${name} ${row.options}`,
          commentStatement(`SEQUENCE ${name}`, row.comment),
          securityLabelStatements(`SEQUENCE ${name}`, row.labels),
        ),
        addresses: [address(row.tableoid, row.oid)],
        owner: row.owner,
        acl: row.acl,
        drop: `DROP SEQUENCE IF EXISTS ${name} CASCADE`,
      }),
    );
    if (row.owned_by !== null && row.owned_table !== null) {
      out.push(
        makeObject({
          key: `sequence owned by ${name}`,
          kind: 'sequence owned by',
          schema: row.schema,
          label: `ownership of ${key} by ${row.owned_by}`,
          section: 'pre-data',
          table: `table ${row.owned_table}`,
          create: [`ALTER SEQUENCE ${name} OWNED BY ${row.owned_by}`],
          deps: new Set([key, `table ${row.owned_table}`]),
        }),
      );
    }
  }
  return out;
};

