import type pg from 'pg';

/** What the destination can do, for deciding which objects it can take. */
export interface DestinationFacts {
  serverVersionNum: number;
  superuser: boolean;
  roles: ReadonlySet<string>;
  availableExtensions: ReadonlySet<string>;
}

export async function readDestinationFacts(client: pg.Client): Promise<DestinationFacts> {
  const result = await client.query<{ v: string; superuser: boolean; roles: string[]; extensions: string[] }>(`
    SELECT current_setting('server_version_num') AS v,
           (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user) AS superuser,
           ARRAY(SELECT rolname::text FROM pg_catalog.pg_roles) AS roles,
           ARRAY(SELECT name::text FROM pg_catalog.pg_available_extensions) AS extensions`);
  const row = result.rows[0]!;
  return { serverVersionNum: Number(row.v), superuser: row.superuser === true, roles: new Set(row.roles), availableExtensions: new Set(row.extensions) };
}
