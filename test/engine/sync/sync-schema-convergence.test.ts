import { spawn } from 'node:child_process';

import { beforeAll, describe, expect, it } from 'vitest';

import { runSync } from '../../../src/engine/sync/run-sync.js';
import { cliPath } from '../../helpers/run-cli.js';
import { expectSameSchema } from '../schema/fidelity-harness.js';
import { type DatabasePair, createDatabasePair, sql, tableFingerprints } from './sync-test-helpers.js';

// What a first sync into an empty database must survive, and what the schema layer must
// never leave out in silence (issue: schema fidelity, items 2 and 4–8).
const source = `
COMMENT ON SCHEMA public IS 'the app''s public schema';
CREATE SCHEMA app;
CREATE SCHEMA reports;
CREATE TABLE app.customers (id serial PRIMARY KEY, name text NOT NULL) WITH (fillfactor = 80, autovacuum_enabled = false);
ALTER TABLE app.customers REPLICA IDENTITY FULL;
ALTER TABLE app.customers ALTER COLUMN name SET STATISTICS 200;
ALTER TABLE app.customers ALTER COLUMN name SET STORAGE MAIN;
CREATE TABLE app.orders (id bigserial PRIMARY KEY, customer_id int NOT NULL REFERENCES app.customers, total numeric(12,2) NOT NULL CHECK (total >= 0));
CREATE INDEX orders_customer ON app.orders (customer_id);
ALTER TABLE app.orders CLUSTER ON orders_customer;
CREATE UNLOGGED SEQUENCE app.invoice_no START 1000;
SELECT setval('app.invoice_no', 1041);
CREATE TABLE app.empty_shape ();
INSERT INTO app.empty_shape DEFAULT VALUES; INSERT INTO app.empty_shape DEFAULT VALUES; INSERT INTO app.empty_shape DEFAULT VALUES;
CREATE TABLE app.audit (id int PRIMARY KEY, note text);
CREATE TABLE app.audit_sink (id int, note text);
CREATE RULE audit_copy AS ON INSERT TO app.audit DO ALSO INSERT INTO app.audit_sink VALUES (NEW.id, NEW.note);
CREATE TABLE app.parent (a int, b text);
CREATE TABLE app.child (c int) INHERITS (app.parent);
ALTER TABLE app.parent ADD COLUMN d date;
CREATE VIEW reports.customer_totals AS
  SELECT c.id, c.name, sum(o.total) AS total FROM app.customers c JOIN app.orders o ON o.customer_id = c.id GROUP BY c.id;
COMMENT ON COLUMN reports.customer_totals.total IS 'sum of order totals';
INSERT INTO app.customers (name) SELECT 'customer ' || g FROM generate_series(1, 50) g;
INSERT INTO app.orders (customer_id, total) SELECT 1 + g % 50, g FROM generate_series(1, 200000) g;
INSERT INTO app.audit VALUES (1, 'one');
INSERT INTO app.child VALUES (1, 'x', 7, '2024-01-01');
`;

describe('sync reproduces the schema and converges after interruptions', () => {
  let pair: DatabasePair;
  beforeAll(async () => {
    pair = await createDatabasePair();
    await sql(pair.source.url, source);
  });

  it('a first sync killed with SIGKILL during its data phase is completed by a plain re-run', async () => {
    // Killed once the writer is copying orders: pre-data is committed, post-data is not.
    const child = spawn(process.execPath, [cliPath, 'sync', '--from', pair.source.url, '--to', pair.destination.url, '--yes'], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const ended = new Promise<NodeJS.Signals | null>((resolve) => child.on('close', (_code, signal) => resolve(signal)));
    let killed = false;
    while (!killed && child.exitCode === null) {
      const copying = await sql<{ n: string }>(
        pair.source.url,
        `SELECT count(*)::text AS n FROM pg_stat_activity WHERE datname = $1 AND application_name LIKE 'pgferry writer%' AND query LIKE 'COPY app.orders%'`,
        [pair.destination.name],
      );
      if (copying[0]!.n !== '0') {
        child.kill('SIGKILL');
        killed = true;
      }
    }
    expect(await ended).toBe('SIGKILL');
    const keys = await sql(pair.destination.url, `SELECT conname FROM pg_constraint WHERE conrelid = 'app.orders'::regclass AND contype = 'p'`);
    expect(keys).toEqual([]);

    const result = await runSync({ source: pair.source.config, destination: pair.destination.config });
    expect(result.status, JSON.stringify(result.missingObjects)).toBe('succeeded');
    await expectSameSchema(pair.source.url, pair.destination.url);
    // An inheritance child keeps its columns' inheritance, not its column order (as with pg_dump): compared by name.
    const withoutChild = async (url: string) => Object.entries(await tableFingerprints(url, ['app'])).filter(([table]) => table !== 'app.child');
    expect(await withoutChild(pair.destination.url)).toEqual(await withoutChild(pair.source.url));
    const childRows = 'SELECT a, b, c, d FROM app.child ORDER BY a';
    expect(await sql(pair.destination.url, childRows)).toEqual(await sql(pair.source.url, childRows));
    // The zero-column table's rows, and the stand-alone sequence's state.
    expect(await sql(pair.destination.url, 'SELECT count(*)::int AS n FROM app.empty_shape')).toEqual([{ n: 3 }]);
    expect(await sql(pair.destination.url, 'SELECT last_value::int AS v FROM app.invoice_no')).toEqual([{ v: 1041 }]);
  });

  it('a keyed mode into an existing table that lacks its key builds the key before the load', async () => {
    await sql(pair.destination.url, 'ALTER TABLE app.customers DROP CONSTRAINT customers_pkey CASCADE');
    const result = await runSync({ source: pair.source.config, destination: pair.destination.config, mode: 'upsert', tables: ['app.customers'] });
    expect(result.status, JSON.stringify(result.tables)).toBe('succeeded');
    const keys = await sql(pair.destination.url, `SELECT conname FROM pg_constraint WHERE conrelid = 'app.customers'::regclass AND contype = 'p'`);
    expect(keys).toEqual([{ conname: 'customers_pkey' }]);
  });

  it('a keyed mode on a table with rewrite rules is refused with a documented code', async () => {
    const result = await runSync({ source: pair.source.config, destination: pair.destination.config, mode: 'mirror', tables: ['app.audit'] });
    const audit = result.tables.find((t) => t.table === 'app.audit')!;
    expect(audit.status).toBe('failed');
    expect(audit.error?.code).toBe('PGF_TABLE_HAS_RULES');
    expect(audit.error?.message).toContain('audit_copy');
  });

  it('sets the sequences of every table that succeeded when another table fails', async () => {
    await sql(pair.source.url, `INSERT INTO app.customers (name) VALUES ('late'); SELECT nextval('app.invoice_no'); INSERT INTO app.orders (customer_id, total) VALUES (1, 5)`);
    // The destination refuses the source's new order: that table fails, customers must not.
    await sql(pair.destination.url, `ALTER TABLE app.orders ADD CONSTRAINT small_totals CHECK (total < 5 OR id < 200000) NOT VALID`);
    const result = await runSync({ source: pair.source.config, destination: pair.destination.config, tables: ['app.customers', 'app.orders'] });
    expect(result.status).toBe('failed');
    expect(result.tables.find((t) => t.table === 'app.orders')?.status).toBe('failed');
    expect(result.tables.find((t) => t.table === 'app.customers')?.status).toBe('succeeded');
    const [customers] = await sql<{ v: string }>(pair.destination.url, `SELECT last_value::text AS v FROM app.customers_id_seq`);
    expect(customers!.v).toBe('51');
    const [invoice] = await sql<{ v: string }>(pair.destination.url, `SELECT last_value::text AS v FROM app.invoice_no`);
    expect(invoice!.v).toBe('1042');
  });
});
