import { randomBytes } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { runSync } from '../../../src/engine/sync/run-sync.js';
import { adminQuery } from '../../helpers/test-database.js';
import { type DatabasePair, createDatabasePair, sql, tableFingerprints } from './sync-test-helpers.js';

const withUser = (url: string, user: string, password: string) => {
  const parsed = new URL(url);
  parsed.username = user;
  parsed.password = password;
  return parsed.toString();
};

describe('least privilege and cancellation', () => {
  let pair: DatabasePair;
  const suffix = randomBytes(3).toString('hex');
  const reader = `pgferry_ro_${suffix}`;
  const writer = `pgferry_rw_${suffix}`;
  const password = randomBytes(12).toString('hex');

  beforeAll(async () => {
    pair = await createDatabasePair();
    await sql(
      pair.source.url,
      `CREATE SCHEMA app;
       CREATE TABLE app.accounts (id serial PRIMARY KEY, name text NOT NULL);
       INSERT INTO app.accounts (name) SELECT 'account ' || i FROM generate_series(1, 200) i;
       CREATE TABLE app.slow (id int PRIMARY KEY);
       INSERT INTO app.slow SELECT generate_series(1, 2000);
       CREATE FUNCTION app.pause(i int) RETURNS int LANGUAGE sql VOLATILE AS 'SELECT i FROM (SELECT pg_sleep(0.003)) s';
       ANALYZE;`,
    );
    await adminQuery(`CREATE ROLE ${reader} LOGIN PASSWORD '${password}' NOSUPERUSER`);
    await adminQuery(`CREATE ROLE ${writer} LOGIN PASSWORD '${password}' NOSUPERUSER`);
    await sql(pair.source.url, `GRANT USAGE ON SCHEMA app TO ${reader}; GRANT SELECT ON ALL TABLES IN SCHEMA app TO ${reader}; GRANT SELECT ON ALL SEQUENCES IN SCHEMA app TO ${reader}; GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA app TO ${reader}`);
    await adminQuery(`ALTER DATABASE ${pair.destination.name} OWNER TO ${writer}`);
  });

  afterAll(async () => {
    for (const url of [pair.source.url, pair.destination.url]) {
      await sql(url, `REASSIGN OWNED BY ${reader}, ${writer} TO postgres; DROP OWNED BY ${reader}, ${writer}`).catch(() => undefined);
    }
    await adminQuery(`ALTER DATABASE ${pair.destination.name} OWNER TO postgres`).catch(() => undefined);
    await adminQuery(`DROP ROLE IF EXISTS ${reader}`).catch(() => undefined);
    await adminQuery(`DROP ROLE IF EXISTS ${writer}`).catch(() => undefined);
  });

  it('syncs with a read-only source role and a non-superuser destination owner', async () => {
    const source = { connectionString: withUser(pair.source.url, reader, password) };
    const destination = { connectionString: withUser(pair.destination.url, writer, password) };
    const result = await runSync({ source, destination, schemas: ['app'] });
    expect(result.warnings.filter((w) => !w.includes('function'))).toEqual([]);
    expect(result.tables.map((t) => t.status)).toEqual(['succeeded', 'succeeded']);
    expect(await tableFingerprints(pair.destination.url, ['app'])).toEqual(await tableFingerprints(pair.source.url, ['app']));
    expect(await sql(pair.destination.url, `SELECT last_value::int AS v FROM app.accounts_id_seq`)).toEqual([{ v: 200 }]);
    // The same again in upsert mode: nothing to write.
    const again = await runSync({ source, destination, schemas: ['app'], mode: 'upsert' });
    expect(again.totals.written).toBe(0);
  });

  it('cancelling a run stops it, rolls back the table in flight and leaves it as before', async () => {
    await sql(pair.destination.url, `UPDATE app.slow SET id = -id`);
    const before = await tableFingerprints(pair.destination.url, ['app']);
    const controller = new AbortController();
    const result = await runSync(
      { source: pair.source.config, destination: pair.destination.config, schemas: ['app'], tables: ['app.slow'], where: 'app.pause(id) > 0' },
      { signal: controller.signal, onEvent: (event) => event.type === 'table:start' && setTimeout(() => controller.abort(new Error('stop')), 300) },
    );
    expect(result.status).toBe('cancelled');
    expect(result.tables[0]).toMatchObject({ status: 'failed', error: { code: 'PGF_RUN_CANCELLED' } });
    expect(await tableFingerprints(pair.destination.url, ['app'])).toEqual(before);
  });
});

describe('privilege preflight', () => {
  let pair: DatabasePair;
  const role = `pgferry_lp_${randomBytes(3).toString('hex')}`;
  const password = randomBytes(12).toString('hex');

  beforeAll(async () => {
    pair = await createDatabasePair();
    await sql(pair.source.url, `CREATE SCHEMA app; CREATE TABLE app.a (id int PRIMARY KEY); CREATE TABLE app.b (id int PRIMARY KEY); INSERT INTO app.a VALUES (1); INSERT INTO app.b VALUES (1)`);
    await sql(pair.destination.url, `CREATE SCHEMA app; CREATE TABLE app.a (id int PRIMARY KEY); CREATE TABLE app.b (id int PRIMARY KEY)`);
    await adminQuery(`CREATE ROLE ${role} LOGIN NOSUPERUSER PASSWORD '${password}'`);
    await sql(pair.destination.url, `GRANT USAGE ON SCHEMA app TO ${role}; GRANT SELECT, INSERT ON app.a TO ${role}; GRANT SELECT, INSERT, UPDATE ON app.b TO ${role}`);
    await sql(pair.source.url, `GRANT USAGE ON SCHEMA app TO ${role}; GRANT SELECT ON app.a TO ${role}`);
  });

  afterAll(async () => {
    for (const url of [pair.source.url, pair.destination.url]) await sql(url, `DROP OWNED BY ${role}`).catch(() => undefined);
    await adminQuery(`DROP ROLE IF EXISTS ${role}`).catch(() => undefined);
  });

  it('names what each role lacks before writing, per table', async () => {
    const source = { connectionString: withUser(pair.source.url, role, password) };
    const destination = { connectionString: withUser(pair.destination.url, role, password) };
    const result = await runSync({ source, destination: pair.destination.config, schemas: ['app'], mode: 'upsert' });
    expect(result.tables.find((t) => t.table === 'app.b')?.error).toEqual({
      code: 'PGF_PRIVILEGE_MISSING',
      message: 'the source role cannot read app.b: grant SELECT on it (a read-only role is enough)',
    });
    const upsert = await runSync({ source: pair.source.config, destination, schemas: ['app'], mode: 'upsert' });
    expect(upsert.tables.find((t) => t.table === 'app.a')?.error?.message).toBe(
      'the destination role lacks UPDATE on app.a, which mode "upsert" needs; grant it or make the role the table\'s owner',
    );
    expect(upsert.tables.find((t) => t.table === 'app.b')?.status).toBe('succeeded');
    await expect(runSync({ source: pair.source.config, destination, schemas: ['app'], tables: ['app.a'], mode: 'full' })).resolves.toMatchObject({ status: 'failed' });
    await sql(pair.source.url, `CREATE SCHEMA extra; CREATE TABLE extra.t (id int)`);
    await expect(runSync({ source: pair.source.config, destination, schemas: ['extra'] })).rejects.toMatchObject({ code: 'PGF_PRIVILEGE_MISSING', message: expect.stringContaining('create schemas extra (needs CREATE on the database)') });
    expect(await sql(pair.destination.url, `SELECT count(*)::int AS n FROM app.b`)).toEqual([{ n: 1 }]);
  });
});
