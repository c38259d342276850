import { randomBytes } from 'node:crypto';

import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { keepExistingRoles, privilegeStatements } from '../../../src/engine/sync/copy-privileges.js';
import { planSync, runSync } from '../../../src/engine/sync/run-sync.js';
import { adminQuery } from '../../helpers/test-database.js';
import { type DatabasePair, createDatabasePair, sql } from './sync-test-helpers.js';

/** Owner and access entries (grantor left out) of every object in schema app and of the schema itself. */
async function privileges(url: string): Promise<Record<string, { owner: string; acl: string[] }>> {
  const rows = await sql<{ object: string; owner: string; acl: string[] }>(
    url,
    `SELECT 'schema app' AS object, pg_get_userbyid(n.nspowner) AS owner,
            ARRAY(SELECT coalesce(pg_get_userbyid(nullif(a.grantee, 0)), 'PUBLIC') || ':' || a.privilege_type || ':' || a.is_grantable FROM aclexplode(n.nspacl) a ORDER BY 1) AS acl
       FROM pg_namespace n WHERE n.nspname = 'app'
     UNION ALL
     SELECT c.relname, pg_get_userbyid(c.relowner),
            ARRAY(SELECT coalesce(pg_get_userbyid(nullif(a.grantee, 0)), 'PUBLIC') || ':' || a.privilege_type || ':' || a.is_grantable FROM aclexplode(c.relacl) a
                  UNION ALL
                  SELECT at.attname || '/' || coalesce(pg_get_userbyid(nullif(a.grantee, 0)), 'PUBLIC') || ':' || a.privilege_type FROM pg_attribute at, aclexplode(at.attacl) a
                   WHERE at.attrelid = c.oid AND at.attnum > 0 AND at.attacl IS NOT NULL ORDER BY 1)
       FROM pg_class c WHERE c.relnamespace = 'app'::regnamespace AND c.relkind IN ('r', 'v', 'S')
     UNION ALL
     SELECT p.oid::regprocedure::text, pg_get_userbyid(p.proowner),
            ARRAY(SELECT coalesce(pg_get_userbyid(nullif(a.grantee, 0)), 'PUBLIC') || ':' || a.privilege_type || ':' || a.is_grantable
                    FROM aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a ORDER BY 1)
       FROM pg_proc p WHERE p.pronamespace = 'app'::regnamespace
     UNION ALL
     SELECT t.oid::regtype::text, pg_get_userbyid(t.typowner),
            ARRAY(SELECT coalesce(pg_get_userbyid(nullif(a.grantee, 0)), 'PUBLIC') || ':' || a.privilege_type || ':' || a.is_grantable
                    FROM aclexplode(coalesce(t.typacl, acldefault('T', t.typowner))) a ORDER BY 1)
       FROM pg_type t WHERE t.typnamespace = 'app'::regnamespace AND t.typtype IN ('e', 'd')`,
  );
  return Object.fromEntries(rows.map((row) => [row.object, { owner: row.owner, acl: row.acl }]));
}

describe('owners and grants on request', () => {
  let pair: DatabasePair;
  const suffix = randomBytes(3).toString('hex');
  const owner = `pgferry_own_${suffix}`;
  const reader = `pgferry_rd_${suffix}`;

  beforeAll(async () => {
    pair = await createDatabasePair();
    await adminQuery(`CREATE ROLE ${owner} NOLOGIN`);
    await adminQuery(`CREATE ROLE "${reader}" NOLOGIN`);
    await sql(
      pair.source.url,
      `CREATE SCHEMA app AUTHORIZATION ${owner};
       CREATE TABLE app.items (id serial PRIMARY KEY, name text, secret text);
       INSERT INTO app.items (name, secret) SELECT 'item ' || i, md5(i::text) FROM generate_series(1, 50) i;
       CREATE VIEW app.names AS SELECT id, name FROM app.items;
       ALTER TABLE app.items OWNER TO ${owner};
       ALTER VIEW app.names OWNER TO ${owner};
       GRANT USAGE ON SCHEMA app TO ${reader} WITH GRANT OPTION;
       GRANT SELECT, INSERT ON app.items TO ${reader};
       GRANT SELECT (name), UPDATE (name) ON app.items TO PUBLIC;
       GRANT USAGE ON SEQUENCE app.items_id_seq TO ${reader};
       GRANT SELECT ON app.names TO ${reader} WITH GRANT OPTION;
       CREATE FUNCTION app.rename(i int, n text) RETURNS void LANGUAGE sql SECURITY DEFINER AS 'UPDATE app.items SET name = n WHERE id = i';
       ALTER FUNCTION app.rename(int, text) OWNER TO ${owner};
       REVOKE EXECUTE ON FUNCTION app.rename(int, text) FROM PUBLIC;
       GRANT EXECUTE ON FUNCTION app.rename(int, text) TO ${reader};
       CREATE FUNCTION app.twice(i int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT 2 * i';
       CREATE DOMAIN app.code AS text CHECK (VALUE ~ '^[A-Z]+$');
       REVOKE USAGE ON DOMAIN app.code FROM PUBLIC;
       CREATE TYPE app.state AS ENUM ('new', 'done');`,
    );
  });

  afterAll(async () => {
    for (const url of [pair.source.url, pair.destination.url]) {
      await sql(url, `REASSIGN OWNED BY ${owner}, ${reader} TO postgres; DROP OWNED BY ${owner}, ${reader}`).catch(() => undefined);
    }
    await adminQuery(`DROP ROLE IF EXISTS ${owner}`);
    await adminQuery(`DROP ROLE IF EXISTS ${reader}`);
  });

  it('skips owners and grants by default', async () => {
    const result = await runSync({ source: pair.source.config, destination: pair.destination.config, schemas: ['app'] });
    expect(result.status).toBe('succeeded');
    // The one function the source keeps from PUBLIC is now open to it: said, with the fix.
    expect(result.warnings).toEqual([expect.stringMatching(/^function app\.rename\(integer,text\) is not executable by PUBLIC on the source, but its new copy on the destination is .*--grants/)]);
    const [{ me }] = (await sql<{ me: string }>(pair.destination.url, 'SELECT current_user AS me')) as [{ me: string }];
    const copied = await privileges(pair.destination.url);
    expect(copied['items']).toEqual({ owner: me, acl: [] });
    expect(copied['names']).toEqual({ owner: me, acl: [] });
  });

  it('copies owners, table, column, sequence, view and schema grants with --owners --grants', async () => {
    await sql(pair.destination.url, 'DROP SCHEMA app CASCADE');
    const options = { source: pair.source.config, destination: pair.destination.config, schemas: ['app'], owners: true, grants: true };
    const plan = await planSync(options);
    expect(plan.privileges.map((s) => s.sql)).toEqual(
      expect.arrayContaining([`ALTER TABLE app.items OWNER TO ${owner}`, `GRANT INSERT, SELECT ON TABLE app.items TO ${reader}`, 'GRANT SELECT (name), UPDATE (name) ON TABLE app.items TO PUBLIC']),
    );
    const result = await runSync(options);
    expect(result.status).toBe('succeeded');
    expect(result.warnings).toEqual([]);
    const [source, destination] = await Promise.all([privileges(pair.source.url), privileges(pair.destination.url)]);
    expect(destination).toEqual(source);
    expect(destination['items_id_seq']?.owner).toBe(owner); // follows its table
    expect(destination['items']?.acl).toContain(`${reader}:INSERT:false`);
    // The SECURITY DEFINER function stays closed to PUBLIC on the copy; the untouched one keeps the default.
    expect(destination['app.rename(integer,text)']?.acl).toEqual([`${owner}:EXECUTE:false`, `${reader}:EXECUTE:false`]);
    expect(destination['app.twice(integer)']?.acl).toContain('PUBLIC:EXECUTE:false');
    expect(destination['app.code']?.acl).not.toContain('PUBLIC:USAGE:false');
    expect(plan.privileges.map((s) => s.sql)).toContain('REVOKE EXECUTE ON FUNCTION app.rename(integer,text) FROM PUBLIC');
  });

  it('skips statements naming a role the destination lacks, with one warning per role', async () => {
    const client = new pg.Client({ connectionString: pair.destination.url });
    await client.connect();
    try {
      const statements = privilegeStatements(
        [
          {
            kind: 'table',
            name: { schema: 'app', name: 'items' },
            owner: 'prod_owner_absent',
            ownedByColumn: false,
            defaultAcl: false,
            grants: [
              { grantee: 'prod_owner_absent', privilege: 'SELECT', grantable: false },
              { grantee: reader, privilege: 'SELECT', grantable: false },
              { grantee: 'analyst_absent', privilege: 'SELECT', grantable: false },
              { grantee: 'analyst_absent', privilege: 'UPDATE', grantable: false },
            ],
            columnGrants: [],
          },
        ],
        { owners: true, grants: true },
        () => 'app.items',
      );
      // The owner's own entry comes with ownership; SELECT and UPDATE to one grantee are one GRANT.
      expect(statements.map((s) => s.sql)).toEqual([
        'ALTER TABLE app.items OWNER TO prod_owner_absent',
        `GRANT SELECT ON TABLE app.items TO ${reader}`,
        'GRANT SELECT, UPDATE ON TABLE app.items TO analyst_absent',
      ]);
      const kept = await keepExistingRoles(client, statements);
      expect(kept.statements.map((s) => s.sql)).toEqual([`GRANT SELECT ON TABLE app.items TO ${reader}`]);
      expect(kept.warnings).toEqual([
        expect.stringMatching(/^role prod_owner_absent does not exist on the destination: 1 ownership\/grant statement\(s\) naming it were skipped; create the role/),
        expect.stringMatching(/^role analyst_absent does not exist on the destination: 1 ownership\/grant/),
      ]);
    } finally {
      await client.end();
    }
  });
});
