import type { CatalogQuery, Queryable } from '../catalog/catalog-types.js';
import { quoteIdent } from '../sql/quote-ident.js';

// What a role needs as a sync/backup source (read) and as a destination (create/write),
// checked with has_*_privilege so nothing is written. Schemas are parameters.

/** The chosen schemas, or every user schema when none were chosen. */
const schemaList = `unnest(coalesce($1::text[], ARRAY(SELECT nspname::text FROM pg_namespace
                    WHERE nspname <> 'information_schema' AND nspname !~ '^pg_' ORDER BY 1)))`;

export function sourcePrivilegesQuery(schemas: string[] | undefined): CatalogQuery {
  return {
    text: `SELECT s.name AS schema,
       n.oid IS NOT NULL AS exists,
       coalesce(has_schema_privilege(n.oid, 'USAGE'), false) AS usage,
       (SELECT count(*) FROM pg_class c WHERE c.relnamespace = n.oid AND c.relkind IN ('r', 'p'))::int AS tables,
       ARRAY(SELECT c.relname::text FROM pg_class c
              WHERE c.relnamespace = n.oid AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
                AND NOT has_table_privilege(c.oid, 'SELECT') ORDER BY 1) AS unreadable_tables,
       ARRAY(SELECT c.relname::text FROM pg_class c
              WHERE c.relnamespace = n.oid AND c.relkind = 'S'
                AND NOT has_table_privilege(c.oid, 'SELECT') ORDER BY 1) AS unreadable_sequences,
       -- with row_security=off (like pg_dump) reading these fails unless the role owns them or bypasses RLS
       ARRAY(SELECT c.relname::text FROM pg_class c
              WHERE c.relnamespace = n.oid AND c.relkind IN ('r', 'p') AND c.relrowsecurity
                AND NOT pg_has_role(c.relowner, 'USAGE')
                AND NOT (SELECT rolbypassrls FROM pg_roles WHERE rolname = current_user) ORDER BY 1) AS row_security_tables
  FROM ${schemaList} AS s(name)
  LEFT JOIN pg_namespace n ON n.nspname = s.name
 ORDER BY s.name`,
    values: [schemas ?? null],
  };
}

export function destinationPrivilegesQuery(schemas: string[] | undefined): CatalogQuery {
  return {
    text: `SELECT s.name AS schema,
       n.oid IS NOT NULL AS exists,
       coalesce(has_schema_privilege(n.oid, 'USAGE'), false) AS usage,
       coalesce(has_schema_privilege(n.oid, 'CREATE'), false) AS "create",
       (SELECT count(*) FROM pg_class c WHERE c.relnamespace = n.oid AND c.relkind IN ('r', 'p'))::int AS tables,
       ARRAY(SELECT c.relname::text FROM pg_class c
              WHERE c.relnamespace = n.oid AND c.relkind IN ('r', 'p')
                AND NOT (has_table_privilege(c.oid, 'INSERT') AND has_table_privilege(c.oid, 'UPDATE')
                     AND has_table_privilege(c.oid, 'DELETE') AND has_table_privilege(c.oid, 'TRUNCATE'))
              ORDER BY 1) AS unwritable_tables
  FROM ${schemaList} AS s(name)
  LEFT JOIN pg_namespace n ON n.nspname = s.name
 ORDER BY s.name`,
    values: [schemas ?? null],
  };
}

export const databasePrivilegesQuery: CatalogQuery = {
  text: `SELECT current_database() AS database,
       current_user AS "user",
       (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS is_superuser,
       has_database_privilege(current_database(), 'CREATE') AS can_create_schema,
       has_database_privilege(current_database(), 'TEMPORARY') AS can_create_temp,
       pg_is_in_recovery() AS in_recovery,
       current_setting('default_transaction_read_only') = 'on' AS read_only`,
  values: [],
};

export interface SourceSchemaCheck {
  schema: string;
  exists: boolean;
  usage: boolean;
  tables: number;
  unreadable_tables: string[];
  unreadable_sequences: string[];
  row_security_tables: string[];
}

export interface DestinationSchemaCheck {
  schema: string;
  exists: boolean;
  usage: boolean;
  create: boolean;
  tables: number;
  unwritable_tables: string[];
}

export interface DatabasePrivileges {
  database: string;
  user: string;
  is_superuser: boolean;
  can_create_schema: boolean;
  can_create_temp: boolean;
  in_recovery: boolean;
  read_only: boolean;
}

export interface RoleCheck<T> {
  ok: boolean;
  schemas: T[];
  /** One sentence per missing privilege, with the GRANT that fixes it where there is one. */
  missing: string[];
}

function names(list: string[]): string {
  const shown = list.slice(0, 10).map(quoteIdent).join(', ');
  return list.length > 10 ? `${shown} and ${list.length - 10} more` : shown;
}

export async function checkSourcePrivileges(
  client: Queryable,
  schemas: string[] | undefined,
  database: DatabasePrivileges,
): Promise<RoleCheck<SourceSchemaCheck>> {
  const query = sourcePrivilegesQuery(schemas);
  const rows = (await client.query<SourceSchemaCheck>(query.text, query.values)).rows;
  const missing: string[] = [];
  const role = quoteIdent(database.user);
  for (const row of rows) {
    const schema = quoteIdent(row.schema);
    if (!row.exists) missing.push(`schema ${schema} does not exist`);
    else if (!row.usage) missing.push(`USAGE on schema ${schema} (GRANT USAGE ON SCHEMA ${schema} TO ${role})`);
    if (row.unreadable_tables.length > 0) {
      missing.push(
        `SELECT on ${row.unreadable_tables.length} table(s) in ${schema}: ${names(row.unreadable_tables)} (GRANT SELECT ON ALL TABLES IN SCHEMA ${schema} TO ${role})`,
      );
    }
    if (row.unreadable_sequences.length > 0) {
      missing.push(
        `SELECT on ${row.unreadable_sequences.length} sequence(s) in ${schema}: ${names(row.unreadable_sequences)} (GRANT SELECT ON ALL SEQUENCES IN SCHEMA ${schema} TO ${role})`,
      );
    }
    if (row.row_security_tables.length > 0) {
      missing.push(
        `row-level security hides rows of ${names(row.row_security_tables)} in ${schema}: read as the owner or a role with BYPASSRLS (ALTER ROLE ${role} BYPASSRLS)`,
      );
    }
  }
  return { ok: missing.length === 0, schemas: rows, missing };
}

export async function checkDestinationPrivileges(
  client: Queryable,
  schemas: string[] | undefined,
  database: DatabasePrivileges,
): Promise<RoleCheck<DestinationSchemaCheck>> {
  const query = destinationPrivilegesQuery(schemas);
  const rows = (await client.query<DestinationSchemaCheck>(query.text, query.values)).rows;
  const missing: string[] = [];
  const role = quoteIdent(database.user);
  const db = quoteIdent(database.database);
  if (database.in_recovery) missing.push('the server is a read-only standby (in recovery); write to the primary');
  else if (database.read_only) missing.push('default_transaction_read_only is on for this role or database');
  if (!database.can_create_temp) {
    missing.push(`TEMPORARY on database ${db}; keyed modes stage rows in temporary tables (GRANT TEMPORARY ON DATABASE ${db} TO ${role})`);
  }
  for (const row of rows) {
    const schema = quoteIdent(row.schema);
    if (!row.exists) {
      if (!database.can_create_schema) {
        missing.push(`schema ${schema} does not exist and the role may not create it (GRANT CREATE ON DATABASE ${db} TO ${role}, or create the schema)`);
      }
      continue;
    }
    if (!row.usage) missing.push(`USAGE on schema ${schema} (GRANT USAGE ON SCHEMA ${schema} TO ${role})`);
    if (!row.create) missing.push(`CREATE on schema ${schema}, to create missing tables (GRANT CREATE ON SCHEMA ${schema} TO ${role})`);
    if (row.unwritable_tables.length > 0) {
      missing.push(
        `INSERT, UPDATE, DELETE or TRUNCATE on ${row.unwritable_tables.length} table(s) in ${schema}: ${names(row.unwritable_tables)} (GRANT INSERT, UPDATE, DELETE, TRUNCATE ON ALL TABLES IN SCHEMA ${schema} TO ${role})`,
      );
    }
  }
  return { ok: missing.length === 0, schemas: rows, missing };
}
