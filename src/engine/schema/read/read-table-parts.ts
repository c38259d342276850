import { qualified, quoteIdent } from '../../sql/quote-ident.js';
import { type ObjectReader, type SchemaObject, address, makeObject } from '../model/schema-object.js';
import { quoteOption } from './read-tables.js';
import { commentStatement, notExtensionMember, statements, userNamespace } from './read-helpers.js';

const relation = (alias: string) => `${userNamespace(`${alias}.relnamespace`)} AND ${notExtensionMember('pg_class', `${alias}.oid`)}`;
const tableName = (alias: string) => `quote_ident((SELECT nspname FROM pg_catalog.pg_namespace WHERE oid = ${alias}.relnamespace)) || '.' || quote_ident(${alias}.relname)`;
const relationKey = (alias: string) =>
  `CASE ${alias}.relkind WHEN 'm' THEN 'materialized view ' WHEN 'v' THEN 'view ' WHEN 'f' THEN 'foreign table ' ELSE 'table ' END || ${tableName(alias)}`;

interface ConstraintRow extends Record<string, unknown> {
  tableoid: number;
  oid: number;
  schema: string;
  table_name: string;
  table_key: string;
  partitioned: boolean;
  name: string;
  type: string;
  definition: string;
  comment: string | null;
  index_oid: number | null;
  index_class: number;
  index_name: string | null;
  index_options: string[] | null;
  index_comment: string | null;
}

/**
 * `pg_get_constraintdef` leaves out the index's storage parameters: they go after the
 * column list (and INCLUDE), before an exclusion constraint's WHERE and the DEFERRABLE words.
 */
export function withIndexOptions(definition: string, options: readonly string[] | null): string {
  if (!options || options.length === 0) return definition;
  const clause = ` WITH (${options.map(quoteOption).join(', ')})`;
  const where = definition.startsWith('EXCLUDE ') ? definition.indexOf(') WHERE (') : -1;
  const at = where >= 0 ? where + 1 : definition.length - (/(?: DEFERRABLE)?(?: INITIALLY DEFERRED)?$/.exec(definition)?.[0].length ?? 0);
  return definition.slice(0, at) + clause + definition.slice(at);
}

/**
 * Primary keys, unique and exclusion constraints (a partition's own ones too, attached to
 * the parent's index afterwards, as pg_dump does) and foreign keys (only the parent's of a
 * partitioned table: partitions inherit them).
 */
export const readConstraints: ObjectReader = async (context) => {
  const rows = await context.query<ConstraintRow>(`
    SELECT k.tableoid::int, k.oid::int, (SELECT nspname FROM pg_catalog.pg_namespace WHERE oid = r.relnamespace) AS schema,
           ${tableName('r')} AS table_name, ${relationKey('r')} AS table_key, r.relkind = 'p' AS partitioned,
           k.conname AS name, k.contype::text AS type, pg_get_constraintdef(k.oid) AS definition, obj_description(k.oid, 'pg_constraint') AS comment,
           nullif(k.conindid, 0)::int AS index_oid, 'pg_catalog.pg_class'::regclass::int AS index_class,
           quote_ident(ins.nspname) || '.' || quote_ident(ic.relname) AS index_name, ic.reloptions AS index_options,
           obj_description(ic.oid, 'pg_class') AS index_comment
      FROM pg_catalog.pg_constraint k JOIN pg_catalog.pg_class r ON r.oid = k.conrelid
      LEFT JOIN pg_catalog.pg_class ic ON ic.oid = k.conindid AND k.contype <> 'f'
      LEFT JOIN pg_catalog.pg_namespace ins ON ins.oid = ic.relnamespace
     WHERE k.contype IN ('p', 'u', 'x', 'f') AND ${relation('r')} AND (k.contype <> 'f' OR k.conparentid = 0)
     ORDER BY r.oid, k.contype, k.conname`);
  return rows.map((row): SchemaObject => {
    const foreign = row.type === 'f';
    const name = quoteIdent(row.name);
    // ONLY: a partitioned table's key does not cascade (each partition's own is attached); its foreign key does.
    const only = foreign && row.partitioned ? '' : 'ONLY ';
    return makeObject({
      key: `constraint ${row.table_name}.${name}`,
      kind: foreign ? 'foreign key' : 'constraint',
      schema: row.schema,
      label: `${foreign ? 'foreign key' : 'constraint'} ${name} on ${row.table_name}`,
      section: 'post-data',
      table: row.table_key,
      create: statements(
        `ALTER TABLE ${only}${row.table_name} ADD CONSTRAINT ${name} ${foreign ? row.definition : withIndexOptions(row.definition, row.index_options)}`,
        commentStatement(`CONSTRAINT ${name} ON ${row.table_name}`, row.comment),
        row.index_name !== null && !foreign ? commentStatement(`INDEX ${row.index_name}`, row.index_comment) : null,
      ),
      // The index behind a key stands for the key (pg_depend: internal), and foreign keys depend on it.
      addresses: [address(row.tableoid, row.oid), ...(row.index_oid !== null && !foreign ? [address(row.index_class, row.index_oid)] : [])],
      deps: new Set([row.table_key]),
    });
  });
};

interface IndexRow extends Record<string, unknown> {
  tableoid: number;
  oid: number;
  schema: string;
  name: string;
  table_name: string;
  table_key: string;
  definition: string;
  comment: string | null;
  statistics: { column: number; target: number }[] | null;
  clustered: boolean;
  replica: boolean;
  constraint_name: string | null;
  parent_index_key: string | null;
  parent_index_name: string | null;
}

const indexKeyOf = (alias: string, table: string) => `
  coalesce((SELECT 'constraint ' || ${tableName(table)} || '.' || quote_ident(kc.conname) FROM pg_catalog.pg_constraint kc
             WHERE kc.conindid = ${alias}.oid AND kc.contype IN ('p', 'u', 'x') AND kc.conrelid = ${table}.oid),
           'index ' || quote_ident((SELECT nspname FROM pg_catalog.pg_namespace WHERE oid = ${alias}.relnamespace)) || '.' || quote_ident(${alias}.relname))`;

/**
 * Indexes that no constraint owns, with comments, expression statistics targets, and the
 * table's CLUSTER ON and REPLICA IDENTITY USING INDEX (those need the index, constraint-owned
 * or not); a partition's index is attached to its parent's index afterwards.
 */
export const readIndexes: ObjectReader = async (context) => {
  const rows = await context.query<IndexRow>(`
    SELECT ic.tableoid::int, ic.oid::int, (SELECT nspname FROM pg_catalog.pg_namespace WHERE oid = ic.relnamespace) AS schema,
           ic.relname AS name, ${tableName('r')} AS table_name, ${relationKey('r')} AS table_key,
           pg_get_indexdef(i.indexrelid) AS definition, obj_description(ic.oid, 'pg_class') AS comment,
           (SELECT json_agg(json_build_object('column', a.attnum, 'target', a.attstattarget)) FROM pg_catalog.pg_attribute a
             WHERE a.attrelid = ic.oid AND ${context.serverVersionNum >= 170000 ? 'a.attstattarget IS NOT NULL' : 'a.attstattarget >= 0'}) AS statistics,
           i.indisclustered AS clustered, i.indisreplident AS replica,
           (SELECT k.conname FROM pg_catalog.pg_constraint k WHERE k.conindid = ic.oid AND k.contype IN ('p', 'u', 'x') AND k.conrelid = r.oid) AS constraint_name,
           (SELECT ${indexKeyOf('pi', 'pr')} FROM pg_catalog.pg_inherits h JOIN pg_catalog.pg_class pi ON pi.oid = h.inhparent
              JOIN pg_catalog.pg_index px ON px.indexrelid = pi.oid JOIN pg_catalog.pg_class pr ON pr.oid = px.indrelid WHERE h.inhrelid = ic.oid) AS parent_index_key,
           (SELECT quote_ident((SELECT nspname FROM pg_catalog.pg_namespace WHERE oid = pi.relnamespace)) || '.' || quote_ident(pi.relname)
              FROM pg_catalog.pg_inherits h JOIN pg_catalog.pg_class pi ON pi.oid = h.inhparent WHERE h.inhrelid = ic.oid) AS parent_index_name
      FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid JOIN pg_catalog.pg_class r ON r.oid = i.indrelid
     WHERE r.relkind IN ('r', 'p', 'm') AND ${relation('r')} AND i.indisvalid
     ORDER BY r.oid, ic.relname`);
  const out: SchemaObject[] = [];
  for (const row of rows) {
    const index = qualified(row.schema, row.name);
    const own = row.constraint_name === null;
    const key = own ? `index ${index}` : `constraint ${row.table_name}.${quoteIdent(row.constraint_name!)}`;
    if (own) {
      out.push(
        makeObject({
          key,
          kind: 'index',
          schema: row.schema,
          label: `index ${index} on ${row.table_name}`,
          section: 'post-data',
          table: row.table_key,
          create: statements(
            row.definition,
            (row.statistics ?? []).map((s) => `ALTER INDEX ${index} ALTER COLUMN ${s.column} SET STATISTICS ${s.target}`),
            commentStatement(`INDEX ${index}`, row.comment),
          ),
          addresses: [address(row.tableoid, row.oid)],
          deps: new Set([row.table_key]),
        }),
      );
    }
    if (row.parent_index_key !== null) {
      out.push(
        makeObject({
          key: `attach index ${index}`,
          kind: 'attach index',
          schema: row.schema,
          label: `attachment of index ${index} to ${row.parent_index_name!}`,
          section: 'post-data',
          table: row.table_key,
          create: [`ALTER INDEX ${row.parent_index_name!} ATTACH PARTITION ${index}`],
          deps: new Set([key, row.parent_index_key, `attach partition ${row.table_name}`]),
        }),
      );
    }
    if (row.clustered || row.replica) {
      out.push(
        makeObject({
          key: `table option ${row.table_name}.${quoteIdent(row.name)}`,
          kind: 'table option',
          schema: row.schema,
          label: `${row.clustered ? 'CLUSTER ON' : 'REPLICA IDENTITY'} ${index} of ${row.table_name}`,
          section: 'post-data',
          table: row.table_key,
          create: statements(
            row.clustered ? `ALTER TABLE ${row.table_name} CLUSTER ON ${quoteIdent(row.name)}` : null,
            row.replica ? `ALTER TABLE ONLY ${row.table_name} REPLICA IDENTITY USING INDEX ${quoteIdent(row.name)}` : null,
          ),
          deps: new Set([key]),
        }),
      );
    }
  }
  return out;
};

interface TriggerRow extends Record<string, unknown> {
  tableoid: number;
  oid: number;
  schema: string;
  name: string;
  table_name: string;
  table_key: string;
  definition: string;
  enabled: string;
  comment: string | null;
}

/** User triggers (constraint triggers included); a partition's clone of its parent's trigger comes with the parent's. */
export const readTriggers: ObjectReader = async (context) => {
  const rows = await context.query<TriggerRow>(`
    SELECT t.tableoid::int, t.oid::int, (SELECT nspname FROM pg_catalog.pg_namespace WHERE oid = r.relnamespace) AS schema,
           t.tgname AS name, ${tableName('r')} AS table_name, ${relationKey('r')} AS table_key,
           pg_get_triggerdef(t.oid, false) AS definition, t.tgenabled::text AS enabled, obj_description(t.oid, 'pg_trigger') AS comment
      FROM pg_catalog.pg_trigger t JOIN pg_catalog.pg_class r ON r.oid = t.tgrelid
     WHERE NOT t.tgisinternal AND ${context.serverVersionNum >= 130000 ? 't.tgparentid = 0' : 'true'} AND ${relation('r')}
     ORDER BY r.oid, t.tgname`);
  return rows.map((row) => {
    const name = quoteIdent(row.name);
    const state = ({ D: 'DISABLE', R: 'ENABLE REPLICA', A: 'ENABLE ALWAYS' } as Record<string, string>)[row.enabled];
    return makeObject({
      key: `trigger ${row.table_name}.${name}`,
      kind: 'trigger',
      schema: row.schema,
      label: `trigger ${name} on ${row.table_name}`,
      section: 'post-data',
      table: row.table_key,
      create: statements(
        row.definition,
        state ? `ALTER TABLE ${row.table_name} ${state} TRIGGER ${name}` : null,
        commentStatement(`TRIGGER ${name} ON ${row.table_name}`, row.comment),
      ),
      addresses: [address(row.tableoid, row.oid)],
      deps: new Set([row.table_key]),
    });
  });
};

interface RuleRow extends Record<string, unknown> {
  tableoid: number;
  oid: number;
  schema: string;
  name: string;
  table_name: string;
  table_key: string;
  definition: string;
  enabled: string;
  comment: string | null;
}

/** Rules other than views' `_RETURN` rules. */
export const readRules: ObjectReader = async (context) => {
  const rows = await context.query<RuleRow>(`
    SELECT w.tableoid::int, w.oid::int, (SELECT nspname FROM pg_catalog.pg_namespace WHERE oid = r.relnamespace) AS schema,
           w.rulename AS name, ${tableName('r')} AS table_name, ${relationKey('r')} AS table_key,
           pg_get_ruledef(w.oid, false) AS definition, w.ev_enabled::text AS enabled, obj_description(w.oid, 'pg_rewrite') AS comment
      FROM pg_catalog.pg_rewrite w JOIN pg_catalog.pg_class r ON r.oid = w.ev_class
     WHERE w.rulename <> '_RETURN' AND ${relation('r')}
     ORDER BY r.oid, w.rulename`);
  return rows.map((row) => {
    const name = quoteIdent(row.name);
    const state = ({ D: 'DISABLE', R: 'ENABLE REPLICA', A: 'ENABLE ALWAYS' } as Record<string, string>)[row.enabled];
    return makeObject({
      key: `rule ${row.table_name}.${name}`,
      kind: 'rule',
      schema: row.schema,
      label: `rule ${name} on ${row.table_name}`,
      section: 'post-data',
      table: row.table_key,
      create: statements(
        row.definition,
        state ? `ALTER TABLE ${row.table_name} ${state} RULE ${name}` : null,
        commentStatement(`RULE ${name} ON ${row.table_name}`, row.comment),
      ),
      addresses: [address(row.tableoid, row.oid)],
      deps: new Set([row.table_key]),
    });
  });
};

interface PolicyRow extends Record<string, unknown> {
  tableoid: number;
  oid: number;
  schema: string;
  name: string;
  table_name: string;
  table_key: string;
  permissive: boolean;
  command: string;
  roles: string[];
  using: string | null;
  with_check: string | null;
  comment: string | null;
}

interface SecurityRow extends Record<string, unknown> {
  schema: string;
  table_name: string;
  table_key: string;
  enabled: boolean;
  forced: boolean;
}

const commands: Record<string, string> = { '*': 'ALL', r: 'SELECT', a: 'INSERT', w: 'UPDATE', d: 'DELETE' };

/** Row security switches and policies (policy roles are required on the destination). */
export const readPolicies: ObjectReader = async (context) => {
  const security = await context.query<SecurityRow>(`
    SELECT (SELECT nspname FROM pg_catalog.pg_namespace WHERE oid = r.relnamespace) AS schema, ${tableName('r')} AS table_name, ${relationKey('r')} AS table_key,
           r.relrowsecurity AS enabled, r.relforcerowsecurity AS forced
      FROM pg_catalog.pg_class r WHERE (r.relrowsecurity OR r.relforcerowsecurity) AND r.relkind IN ('r', 'p') AND ${relation('r')}`);
  const rows = await context.query<PolicyRow>(`
    SELECT p.tableoid::int, p.oid::int, (SELECT nspname FROM pg_catalog.pg_namespace WHERE oid = r.relnamespace) AS schema,
           p.polname AS name, ${tableName('r')} AS table_name, ${relationKey('r')} AS table_key, p.polpermissive AS permissive, p.polcmd::text AS command,
           ARRAY(SELECT CASE WHEN x = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(x)) END FROM unnest(p.polroles) x ORDER BY 1) AS roles,
           pg_get_expr(p.polqual, p.polrelid) AS using, pg_get_expr(p.polwithcheck, p.polrelid) AS with_check,
           obj_description(p.oid, 'pg_policy') AS comment
      FROM pg_catalog.pg_policy p JOIN pg_catalog.pg_class r ON r.oid = p.polrelid
     WHERE ${relation('r')} ORDER BY r.oid, p.polname`);
  const out: SchemaObject[] = security.map((row) =>
    makeObject({
      key: `row security ${row.table_name}`,
      kind: 'row security',
      schema: row.schema,
      label: `row level security of ${row.table_name}`,
      section: 'post-data',
      table: row.table_key,
      create: statements(
        row.enabled ? `ALTER TABLE ${row.table_name} ENABLE ROW LEVEL SECURITY` : null,
        row.forced ? `ALTER TABLE ${row.table_name} FORCE ROW LEVEL SECURITY` : null,
      ),
      deps: new Set([row.table_key]),
    }),
  );
  for (const row of rows) {
    const name = quoteIdent(row.name);
    let sql = `CREATE POLICY ${name} ON ${row.table_name} AS ${row.permissive ? 'PERMISSIVE' : 'RESTRICTIVE'} FOR ${commands[row.command] ?? 'ALL'} TO ${row.roles.join(', ')}`;
    if (row.using !== null) sql += ` USING (${row.using})`;
    if (row.with_check !== null) sql += ` WITH CHECK (${row.with_check})`;
    out.push(
      makeObject({
        key: `policy ${row.table_name}.${name}`,
        kind: 'policy',
        schema: row.schema,
        label: `policy ${name} on ${row.table_name}`,
        section: 'post-data',
        table: row.table_key,
        create: statements(sql, commentStatement(`POLICY ${name} ON ${row.table_name}`, row.comment)),
        addresses: [address(row.tableoid, row.oid)],
        deps: new Set([row.table_key]),
        requires: { roles: row.roles.filter((r) => r !== 'PUBLIC').map((r) => r.replace(/^"(.*)"$/, '$1').replace(/""/g, '"')) },
      }),
    );
  }
  return out;
};
