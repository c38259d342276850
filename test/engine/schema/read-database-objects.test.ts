import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { SchemaObject } from '../../../src/engine/schema/model/schema-object.js';
import { readDefaultPrivileges } from '../../../src/engine/schema/read/read-default-privileges.js';
import { readEventTriggers } from '../../../src/engine/schema/read/read-event-triggers.js';
import { readForeignTables } from '../../../src/engine/schema/read/read-foreign-tables.js';
import { readForeignDataWrappers, readForeignServers, readUserMappings } from '../../../src/engine/schema/read/read-foreign.js';
import { readPublications } from '../../../src/engine/schema/read/read-publications.js';
import { readStatistics } from '../../../src/engine/schema/read/read-statistics.js';
import { maskConnectionString, readSubscriptions } from '../../../src/engine/schema/read/read-subscriptions.js';
import { createdDatabases } from '../../helpers/database-registry.js';
import { adminQuery, serverUrl } from '../../helpers/test-database.js';
import { databaseUrl } from '../../helpers/test-server.js';
import { type RoundTrip, dropSubscriptions, readWith, roundTrip, runScript, withClient } from './database-objects-harness.js';

const byKey = (objects: SchemaObject[], key: string): SchemaObject => {
  const found = objects.find((o) => o.key === key);
  if (!found) throw new Error(`no object ${key} among ${objects.map((o) => o.key).join(', ')}`);
  return found;
};

/** The secret appears in no key, label or definition (the texts `diff --schema` and messages show). */
const expectNoSecret = (objects: SchemaObject[], secret: string) => {
  for (const o of objects) {
    expect(o.key).not.toContain(secret);
    expect(o.label).not.toContain(secret);
    expect(o.definition ?? o.create.join(';\n')).not.toContain(secret);
  }
};

const expectSameDumps = (trip: RoundTrip) => {
  expect(trip.dumps.fromReaders).toBe(trip.dumps.source);
  expect(trip.dumps.fromGraph).toBe(trip.dumps.source);
};

describe('foreign data wrappers, servers, user mappings and foreign tables', () => {
  let trip: RoundTrip;
  beforeAll(async () => {
    const extensions = await adminQuery(`SELECT 1 FROM pg_available_extensions WHERE name = 'postgres_fdw'`);
    const fdw = extensions.rowCount === 1;
    trip = await roundTrip({
      prerequisites: `
        ${fdw ? 'CREATE EXTENSION postgres_fdw;' : ''}
        CREATE FUNCTION public.accept_options(text[], oid) RETURNS void LANGUAGE plpgsql AS $$BEGIN END$$;
        CREATE FUNCTION public.two() RETURNS int LANGUAGE sql AS 'SELECT 2';
        CREATE TABLE public.parent (a int, b text);
        CREATE SCHEMA "Remote";`,
      setup: `
        CREATE FOREIGN DATA WRAPPER plain_w;
        COMMENT ON FOREIGN DATA WRAPPER plain_w IS 'no handler, no validator';
        CREATE FOREIGN DATA WRAPPER "Odd W" VALIDATOR public.accept_options OPTIONS (b 'x''y', "A c" 'z');
        ${fdw ? 'CREATE FOREIGN DATA WRAPPER borrowed HANDLER public.postgres_fdw_handler VALIDATOR public.postgres_fdw_validator;' : ''}
        CREATE SERVER s1 FOREIGN DATA WRAPPER plain_w;
        COMMENT ON SERVER s1 IS 'first';
        CREATE SERVER "S 2" TYPE 'oracle' VERSION '19c' FOREIGN DATA WRAPPER "Odd W" OPTIONS (port '1', host 'h');
        CREATE USER MAPPING FOR PUBLIC SERVER s1;
        CREATE USER MAPPING FOR postgres SERVER "S 2" OPTIONS (user 'bob', password 'Sup3r$ecret-pw');
        ${fdw ? `CREATE SERVER pg_srv FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host '127.0.0.1', dbname 'nowhere');` : ''}
        CREATE FOREIGN TABLE "Remote"."Ft 1" (
          id int NOT NULL,
          name text OPTIONS (column_name 'nm') COLLATE "C" DEFAULT 'x',
          twice int GENERATED ALWAYS AS (id * 2) STORED,
          late int DEFAULT public.two(),
          CONSTRAINT positive CHECK (id > 0)
        ) SERVER "S 2" OPTIONS (schema_name 'remote', table_name 't');
        COMMENT ON FOREIGN TABLE "Remote"."Ft 1" IS 'remote rows';
        COMMENT ON COLUMN "Remote"."Ft 1".id IS 'the id';
        COMMENT ON CONSTRAINT positive ON "Remote"."Ft 1" IS 'ids are positive';
        ALTER FOREIGN TABLE "Remote"."Ft 1" ALTER COLUMN id SET STATISTICS 50;
        ALTER FOREIGN TABLE "Remote"."Ft 1" ALTER COLUMN name SET STORAGE MAIN;
        ALTER FOREIGN TABLE "Remote"."Ft 1" ALTER COLUMN id SET (n_distinct = 100);
        CREATE FOREIGN TABLE public.child (c int) INHERITS (public.parent) SERVER s1;
        ALTER FOREIGN TABLE public.child ALTER COLUMN a OPTIONS (ADD x 'y');
        ALTER FOREIGN TABLE public.child ALTER COLUMN b SET NOT NULL;`,
      readers: [readForeignDataWrappers, readForeignServers, readUserMappings, readForeignTables],
      kinds: ['foreign data wrapper', 'server', 'user mapping', 'foreign table', 'default'],
    });
  });

  it('reproduces every one of them (pg_dump of the copies equals the source)', () => {
    expect(trip.dumps.source).toContain('CREATE FOREIGN TABLE "Remote"."Ft 1"');
    expect(trip.dumps.source).toContain('CREATE USER MAPPING FOR postgres SERVER "S 2"');
    expectSameDumps(trip);
  });

  it('names them by identity, marks what they need and takes dependencies from pg_depend', () => {
    expect(byKey(trip.objects, 'foreign data wrapper plain_w').requires).toEqual({ superuser: true });
    expect(byKey(trip.objects, 'user mapping for PUBLIC server s1').requires).toBeUndefined();
    expect(byKey(trip.objects, 'user mapping for postgres server "S 2"').requires).toEqual({ roles: ['postgres'] });
    expect(byKey(trip.graphObjects, 'server "S 2"').deps).toContain('foreign data wrapper "Odd W"');
    expect(byKey(trip.graphObjects, 'user mapping for postgres server "S 2"').deps).toContain('server "S 2"');
    expect(byKey(trip.graphObjects, 'foreign table "Remote"."Ft 1"').deps).toContain('server "S 2"');
    // A default calling a user function is set after the table (the function may take its row type).
    expect(byKey(trip.objects, 'default "Remote"."Ft 1".late').create).toEqual([`ALTER FOREIGN TABLE ONLY "Remote"."Ft 1" ALTER COLUMN late SET DEFAULT public.two()`]);
    expect(byKey(trip.graphObjects, 'foreign table public.child').deps).toContain('table public.parent');
  });

  it('keeps a user mapping password out of every key, label and definition', () => {
    const mapping = byKey(trip.objects, 'user mapping for postgres server "S 2"');
    expect(mapping.create.join('\n')).toContain(`password 'Sup3r$ecret-pw'`);
    expect(mapping.definition).toBe(`CREATE USER MAPPING FOR postgres SERVER "S 2" OPTIONS ("user" '***', password '***')`);
    expectNoSecret(trip.objects, 'Sup3r$ecret');
    expectNoSecret(trip.graphObjects, 'Sup3r$ecret');
    expectNoSecret(trip.objects, 'bob');
  });

  it('leaves foreign partitions to the table layer', async () => {
    await runScript(
      trip.source.url,
      `CREATE TABLE public.measure (at int) PARTITION BY RANGE (at);
       CREATE FOREIGN TABLE public.measure_old PARTITION OF public.measure FOR VALUES FROM (0) TO (10) SERVER s1;`,
    );
    const objects = await withClient(trip.source.url, (client) => readWith(client, [readForeignTables]));
    expect(objects.map((o) => o.key)).not.toContain('foreign table public.measure_old');
  });
});

describe('event triggers', () => {
  let trip: RoundTrip;
  beforeAll(async () => {
    trip = await roundTrip({
      prerequisites: `
        CREATE SCHEMA "Ev";
        CREATE FUNCTION "Ev"."On DDL"() RETURNS event_trigger LANGUAGE plpgsql AS $$BEGIN END$$;`,
      setup: `
        CREATE EVENT TRIGGER et_plain ON ddl_command_start EXECUTE FUNCTION "Ev"."On DDL"();
        COMMENT ON EVENT TRIGGER et_plain IS 'logs DDL';
        CREATE EVENT TRIGGER "Et Tags" ON ddl_command_end WHEN TAG IN ('CREATE TABLE', 'ALTER TABLE') EXECUTE FUNCTION "Ev"."On DDL"();
        ALTER EVENT TRIGGER "Et Tags" DISABLE;
        CREATE EVENT TRIGGER et_replica ON sql_drop EXECUTE FUNCTION "Ev"."On DDL"();
        ALTER EVENT TRIGGER et_replica ENABLE REPLICA;
        CREATE EVENT TRIGGER et_always ON table_rewrite EXECUTE FUNCTION "Ev"."On DDL"();
        ALTER EVENT TRIGGER et_always ENABLE ALWAYS;`,
      readers: [readEventTriggers],
      kinds: ['event trigger'],
    });
  });

  it('reproduces them with their tags, enabled state and comment', () => {
    expect(trip.dumps.source).toContain('ALTER EVENT TRIGGER et_replica ENABLE REPLICA');
    expectSameDumps(trip);
    const tagged = byKey(trip.objects, 'event trigger "Et Tags"');
    expect(tagged).toMatchObject({ section: 'post-data', requires: { superuser: true }, schema: null });
    expect(tagged.create[1]).toBe('ALTER EVENT TRIGGER "Et Tags" DISABLE');
    expect(byKey(trip.graphObjects, 'event trigger et_plain').create).toEqual(byKey(trip.objects, 'event trigger et_plain').create);
  });
});

describe('publications and subscriptions', () => {
  let trip: RoundTrip;
  const secret = 'TopSecret-4711';
  beforeAll(async () => {
    trip = await roundTrip({
      prerequisites: `
        CREATE TABLE public.t1 (id int PRIMARY KEY, a int, b text);
        CREATE SCHEMA s2;
        CREATE TABLE s2.t2 (id int);
        CREATE SCHEMA "Odd";
        CREATE TABLE "Odd"."T 3" (id int PRIMARY KEY, "Weird Col" int);
        CREATE TABLE public.measure (at int, v int) PARTITION BY RANGE (at);
        CREATE TABLE public.measure_1 PARTITION OF public.measure FOR VALUES FROM (0) TO (10);`,
      setup: `
        CREATE PUBLICATION p_all FOR ALL TABLES WITH (publish = 'insert');
        CREATE PUBLICATION p_some FOR TABLE public.t1 (id, a) WHERE (a > 5), s2.t2, "Odd"."T 3" ("Weird Col", id)
          WITH (publish = 'insert, update', publish_via_partition_root = true);
        COMMENT ON PUBLICATION p_some IS 'some rows';
        CREATE PUBLICATION p_schema FOR TABLES IN SCHEMA s2, public;
        CREATE PUBLICATION "P empty" WITH (publish = '');
        ALTER PUBLICATION "P empty" ADD TABLE public.measure;
        CREATE SUBSCRIPTION sub1 CONNECTION 'host=127.0.0.1 dbname=nowhere password=${secret} user=x'
          PUBLICATION p_x, "P y" WITH (connect = false, slot_name = 'slot_x', binary = true, streaming = on,
          synchronous_commit = 'remote_apply', two_phase = on, disable_on_error = true);
        COMMENT ON SUBSCRIPTION sub1 IS 'replicates x';
        CREATE SUBSCRIPTION "Sub 2" CONNECTION 'postgresql://u:${secret}@h/db' PUBLICATION p WITH (connect = false, slot_name = NONE);`,
      readers: [readPublications, readSubscriptions],
      kinds: ['publication', 'publication member', 'subscription'],
    });
  });
  afterAll(async () => {
    for (const name of createdDatabases) await dropSubscriptions(databaseUrl(serverUrl(), name));
  });

  it('reproduces publications, their tables (column lists, row filters), schemas and subscriptions', () => {
    expect(trip.dumps.source).toContain('CREATE SUBSCRIPTION sub1');
    expect(trip.dumps.source).toContain('ALTER PUBLICATION p_schema ADD TABLES IN SCHEMA public');
    expectSameDumps(trip);
    expect(byKey(trip.objects, 'publication member p_some table public.t1').create).toEqual(['ALTER PUBLICATION p_some ADD TABLE ONLY public.t1 (id, a) WHERE ((a > 5))']);
    expect(byKey(trip.objects, 'publication member p_schema tables in schema public').deps).toContain('schema public');
    expect(byKey(trip.graphObjects, 'publication member p_some table "Odd"."T 3"').deps).toEqual(new Set(['publication p_some', 'table "Odd"."T 3"']));
    expect(byKey(trip.objects, 'subscription sub1')).toMatchObject({ section: 'post-data', requires: { superuser: true }, owner: 'postgres' });
  });

  it('keeps the connection password out of every key, label and definition', () => {
    expect(byKey(trip.objects, 'subscription sub1').create[0]).toContain(secret);
    expect(byKey(trip.objects, 'subscription sub1').definition).toContain(`CONNECTION 'host=127.0.0.1 dbname=nowhere password=*** user=x'`);
    expect(byKey(trip.objects, 'subscription "Sub 2"').definition).toContain(`CONNECTION 'postgresql://u:***@h/db'`);
    expectNoSecret(trip.objects, secret);
    expectNoSecret(trip.graphObjects, secret);
  });

  it('masks passwords in both connection string forms', () => {
    expect(maskConnectionString(`host=a password='it\\'s secret' sslpassword=k`)).toBe('host=a password=*** sslpassword=***');
    expect(maskConnectionString('password = abc host=b')).toBe('password = *** host=b');
    expect(maskConnectionString('postgres://u:p%40ss@h:5432/d?sslmode=require&password=q')).toBe('postgres://u:***@h:5432/d?sslmode=require&password=***');
    expect(maskConnectionString('host=h user=u')).toBe('host=h user=u');
  });
});

describe('extended statistics', () => {
  let trip: RoundTrip;
  beforeAll(async () => {
    trip = await roundTrip({
      prerequisites: `
        CREATE TABLE public.t (a int, b int, c text);
        CREATE SCHEMA st;
        CREATE MATERIALIZED VIEW public.mv AS SELECT 1 AS x, 2 AS y;`,
      setup: `
        CREATE STATISTICS st.s1 (ndistinct, dependencies) ON a, b FROM public.t;
        COMMENT ON STATISTICS st.s1 IS 'a and b move together';
        CREATE STATISTICS public."S 2" ON a, (b + 1), lower(c) FROM public.t;
        ALTER STATISTICS public."S 2" SET STATISTICS 250;
        CREATE STATISTICS public.s3 (mcv) ON a, c FROM public.t;
        ALTER STATISTICS public.s3 SET STATISTICS 0;
        CREATE STATISTICS public.s_mv ON x, y FROM public.mv;`,
      readers: [readStatistics],
      kinds: ['statistics'],
    });
  });

  it('reproduces them with statistics targets and comments', () => {
    expect(trip.dumps.source).toContain('ALTER STATISTICS public."S 2" SET STATISTICS 250');
    expectSameDumps(trip);
    expect(byKey(trip.objects, 'statistics public.s3').create).toContain('ALTER STATISTICS public.s3 SET STATISTICS 0');
    expect(byKey(trip.objects, 'statistics public.s_mv').table).toBe('materialized view public.mv');
    expect(byKey(trip.graphObjects, 'statistics st.s1').deps).toContain('schema st');
  });
});

describe('default privileges', () => {
  const suffix = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6)}`;
  const owner = `pgf_defacl_owner_${suffix}`;
  const reader = `pgf_defacl_reader_${suffix}`;
  let trip: RoundTrip;
  beforeAll(async () => {
    await adminQuery(`CREATE ROLE ${owner}`);
    await adminQuery(`CREATE ROLE "${reader}"`);
    trip = await roundTrip({
      prerequisites: `CREATE SCHEMA s;`,
      setup: `
        ALTER DEFAULT PRIVILEGES FOR ROLE ${owner} GRANT SELECT ON TABLES TO ${reader};
        ALTER DEFAULT PRIVILEGES FOR ROLE ${owner} REVOKE UPDATE, TRUNCATE ON TABLES FROM ${owner};
        ALTER DEFAULT PRIVILEGES FOR ROLE ${owner} REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;
        ALTER DEFAULT PRIVILEGES FOR ROLE ${owner} REVOKE USAGE ON TYPES FROM PUBLIC;
        ALTER DEFAULT PRIVILEGES FOR ROLE ${owner} GRANT USAGE ON SCHEMAS TO ${reader} WITH GRANT OPTION;
        ALTER DEFAULT PRIVILEGES FOR ROLE ${owner} IN SCHEMA s GRANT USAGE, SELECT ON SEQUENCES TO ${reader} WITH GRANT OPTION;
        ALTER DEFAULT PRIVILEGES FOR ROLE ${owner} IN SCHEMA public GRANT INSERT ON TABLES TO PUBLIC;`,
      readers: [readDefaultPrivileges],
      kinds: ['default privileges'],
      privileges: true,
    });
  });
  afterAll(async () => {
    // One role at a time: DROP OWNED BY both fails on an entry that names both ("could not find tuple for default ACL").
    for (const name of createdDatabases) {
      await withClient(databaseUrl(serverUrl(), name), async (client) => {
        await client.query(`DROP OWNED BY ${owner}`);
        await client.query(`DROP OWNED BY ${reader}`);
      });
    }
    await adminQuery(`DROP ROLE IF EXISTS ${owner}`);
    await adminQuery(`DROP ROLE IF EXISTS ${reader}`);
  });

  it('reproduces grants and revokes of the built-in defaults, globally and per schema', () => {
    expect(trip.dumps.source).toContain(`ALTER DEFAULT PRIVILEGES FOR ROLE ${owner} REVOKE ALL ON FUNCTIONS  FROM PUBLIC`);
    expectSameDumps(trip);
    const functions = byKey(trip.objects, `default privileges for role ${owner} on functions`);
    expect(functions.create).toEqual([`ALTER DEFAULT PRIVILEGES FOR ROLE ${owner} REVOKE ALL ON FUNCTIONS FROM PUBLIC`]);
    expect(functions.requires).toEqual({ roles: [owner] });
    const sequences = byKey(trip.objects, `default privileges for role ${owner} in schema s on sequences`);
    expect(sequences).toMatchObject({ schema: 's', section: 'post-data', requires: { roles: [owner, reader] } });
    expect(byKey(trip.objects, `default privileges for role ${owner} in schema public on tables`).deps).toContain('schema public');
  });
});
