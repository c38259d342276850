import { beforeAll, describe, expect, it } from 'vitest';

import { noKeyMessage } from '../../../src/engine/sync/plan-table.js';
import { planSync, runSync } from '../../../src/engine/sync/run-sync.js';
import type { SyncOptions } from '../../../src/engine/types.js';
import { type DatabasePair, createDatabasePair, memoryHighWater, sql, tableFingerprints } from './sync-test-helpers.js';

const setup = `
CREATE SCHEMA shop;
CREATE TABLE shop.customers (id int PRIMARY KEY, email text NOT NULL UNIQUE, name text, region text NOT NULL, updated_at timestamptz NOT NULL);
INSERT INTO shop.customers SELECT i, 'person' || i || '@real-mail.test', 'Person ' || i, CASE WHEN i % 2 = 0 THEN 'cn' ELSE 'us' END,
       timestamptz '2024-01-01 00:00:00+00' + i * interval '1 minute' FROM generate_series(1, 100) i;
CREATE TABLE shop.orders (id serial PRIMARY KEY, customer_id int NOT NULL REFERENCES shop.customers (id), amount numeric(10, 2));
INSERT INTO shop.orders (customer_id, amount) SELECT 1 + i % 100, i * 1.5 FROM generate_series(1, 300) i;
CREATE TABLE shop.events (payload text);
INSERT INTO shop.events SELECT 'event ' || i FROM generate_series(1, 10) i;
CREATE TABLE shop.big (id int PRIMARY KEY, pad text);
INSERT INTO shop.big SELECT i, repeat('x', 50) FROM generate_series(1, 1000) i;
CREATE FUNCTION shop.evil() RETURNS int LANGUAGE sql VOLATILE AS 'DELETE FROM shop.customers; SELECT 1';
CREATE FUNCTION shop.slow(i int) RETURNS int LANGUAGE sql VOLATILE AS 'SELECT i FROM (SELECT pg_sleep(0.004)) s';
CREATE SCHEMA "Weird ""Schema"" ñ";
CREATE TABLE "Weird ""Schema"" ñ"."select" ("order" int PRIMARY KEY, "Mixed Case" text, "space col" text, "quoted""col" text, "ÜniCödé" text, "a.b" int);
INSERT INTO "Weird ""Schema"" ñ"."select" SELECT i, 'M' || i, 's p', 'q"' || i, 'ü' || i, i FROM generate_series(1, 20) i;
CREATE TABLE "Weird ""Schema"" ñ"."Mixed Table.With Dot" (id int PRIMARY KEY, "user" text);
INSERT INTO "Weird ""Schema"" ñ"."Mixed Table.With Dot" VALUES (1, 'a'), (2, E'tab\\there');
ANALYZE;
`;

describe('sync modes, filters, rules and failures', () => {
  let pair: DatabasePair;
  let base: Pick<SyncOptions, 'source' | 'destination' | 'retry'>;

  beforeAll(async () => {
    pair = await createDatabasePair();
    await sql(pair.source.url, setup);
    base = { source: pair.source.config, destination: pair.destination.config, retry: { attempts: 3, baseDelayMs: 50, maxDelayMs: 200 } };
    const first = await runSync({ ...base, schemas: ['shop'] });
    expect(first.tables.map((t) => [t.table, t.status])).toEqual(expect.arrayContaining([['shop.customers', 'succeeded'], ['shop.orders', 'succeeded']]));
  });

  const same = async (schemas = ['shop']) => {
    const [a, b] = await Promise.all([tableFingerprints(pair.source.url, schemas), tableFingerprints(pair.destination.url, schemas)]);
    return { source: a, destination: b };
  };

  it('full copies everything and sets sequences from the source state', async () => {
    const { source, destination } = await same();
    expect(destination).toEqual(source);
    const [seq] = await sql(pair.destination.url, `SELECT last_value::int AS v, is_called FROM shop.orders_id_seq`);
    expect(seq).toEqual({ v: 300, is_called: true });
  });

  it('append inserts only absent keys; upsert writes only changed rows', async () => {
    await sql(pair.source.url, `INSERT INTO shop.customers VALUES (101, 'new@real-mail.test', 'New', 'cn', now()); UPDATE shop.customers SET name = 'Renamed' WHERE id IN (1, 2, 3)`);
    const append = await runSync({ ...base, tables: ['shop.customers'], mode: 'append' });
    expect(append.tables[0]).toMatchObject({ status: 'succeeded', written: 1, rows: 101 });
    expect(await sql(pair.destination.url, `SELECT count(*)::int AS n FROM shop.customers WHERE name = 'Renamed'`)).toEqual([{ n: 0 }]);
    const upsert = await runSync({ ...base, tables: ['shop.customers'], mode: 'upsert' });
    expect(upsert.tables[0]).toMatchObject({ status: 'succeeded', written: 3, rows: 101 });
    expect((await same()).destination['shop.customers']).toBe((await same()).source['shop.customers']);
  });

  it('incremental reads rows at or after the high-water mark and writes only the changed ones', async () => {
    const highWater = memoryHighWater();
    const options: SyncOptions = { ...base, tables: ['shop.customers'], mode: 'incremental', cursor: 'updated_at', highWaterScope: 'job-1' };
    const first = await runSync(options, { highWater });
    expect(first.tables[0]).toMatchObject({ status: 'succeeded', written: 0 });
    const mark = highWater.marks.get('job-1/shop.customers');
    expect(mark?.cursor).toBe('updated_at');
    await sql(pair.source.url, `UPDATE shop.customers SET name = 'Changed', updated_at = $1::timestamptz + id * interval '1 second' WHERE id BETWEEN 10 AND 14`, [mark!.value]);
    const second = await runSync(options, { highWater });
    // The row holding the old mark is read again (>=) but is unchanged, so not written.
    expect(second.tables[0]).toMatchObject({ status: 'succeeded', rows: 6, written: 5 });
    expect((await same()).destination['shop.customers']).toBe((await same()).source['shop.customers']);
  });

  it('mirror deletes rows gone from the source', async () => {
    await sql(pair.source.url, `DELETE FROM shop.orders WHERE id <= 7`);
    const result = await runSync({ ...base, tables: ['shop.orders'], mode: 'mirror' });
    expect(result.tables[0]).toMatchObject({ status: 'succeeded', deleted: 7 });
    expect((await same()).destination['shop.orders']).toBe((await same()).source['shop.orders']);
  });

  it('full mode keeps referencing foreign keys valid and replaces atomically', async () => {
    const result = await runSync({ ...base, tables: ['shop.customers'], mode: 'full' });
    expect(result.tables[0]?.status).toBe('succeeded');
    const fks = await sql(pair.destination.url, `SELECT conname, convalidated FROM pg_constraint WHERE conrelid = 'shop.orders'::regclass AND contype = 'f'`);
    expect(fks).toEqual([{ conname: 'orders_customer_id_fkey', convalidated: true }]);
  });

  it('filters run with bound placeholders and only matching rows arrive', async () => {
    const result = await runSync({
      ...base,
      tables: ['shop.big'],
      mode: 'full',
      where: "id > {{floor}}::int AND pad <> '' ",
      placeholders: { floor: '990' },
    });
    expect(result.tables[0]).toMatchObject({ status: 'succeeded', rows: 10 });
    expect(await sql(pair.destination.url, 'SELECT min(id) AS lo, count(*)::int AS n FROM shop.big')).toEqual([{ lo: 991, n: 10 }]);
    // A placeholder value is data, never SQL.
    const hostile = await runSync({ ...base, tables: ['shop.big'], mode: 'full', where: 'pad = {{p}}', placeholders: { p: "x' OR '1'='1" } });
    expect(hostile.tables[0]).toMatchObject({ status: 'succeeded', rows: 0 });
  });

  it('column rules mask data in the source SELECT: no original e-mail survives', async () => {
    const result = await runSync({
      ...base,
      tables: ['shop.customers'],
      mode: 'full',
      rules: [
        { match: 'customers.email', strategy: 'unique_email' },
        { match: 'email', strategy: 'value', argument: 'never-used' },
        { match: 'shop.customers.name', strategy: 'null' },
      ],
    });
    expect(result.tables[0]?.status).toBe('succeeded');
    const originals = new Set((await sql<{ email: string }>(pair.source.url, 'SELECT email FROM shop.customers')).map((r) => r.email));
    const copied = await sql<{ email: string; name: string | null }>(pair.destination.url, 'SELECT email, name FROM shop.customers');
    expect(copied).toHaveLength(originals.size);
    expect(copied.filter((r) => originals.has(r.email))).toEqual([]);
    expect(new Set(copied.map((r) => r.email)).size).toBe(originals.size);
    expect(copied.every((r) => r.name === null && r.email.endsWith('@example.com'))).toBe(true);
  });

  it('refuses keyed modes on a table without a key, with the documented message', async () => {
    const before = await same();
    const result = await runSync({ ...base, tables: ['shop.events'], mode: 'upsert' });
    expect(result.status).toBe('failed');
    expect(result.tables[0]).toMatchObject({ status: 'failed', error: { code: 'PGF_TABLE_HAS_NO_KEY', message: noKeyMessage('shop.events', 'upsert') } });
    expect(result.tables[0]?.error?.message).toBe('table shop.events has no primary key or unique index; mode "upsert" needs one — add a key or use mode "full"');
    expect((await same()).destination['shop.events']).toBe(before.destination['shop.events']);
  });

  it('a WHERE that tries to write fails and changes nothing', async () => {
    const before = await same();
    // Refused before the run starts: a filter is one expression (checkFilter).
    await expect(runSync({ ...base, tables: ['shop.customers'], mode: 'full', where: '1=1; delete from shop.customers' })).rejects.toMatchObject({ code: 'PGF_FILTER_INVALID' });
    await expect(
      runSync({ ...base, tables: ['shop.customers'], mode: 'full', where: '1=1) TO STDOUT; COMMIT; DELETE FROM shop.customers; COPY (SELECT 1' }),
    ).rejects.toMatchObject({ code: 'PGF_FILTER_INVALID' });
    const writer = await runSync({ ...base, tables: ['shop.customers'], mode: 'full', where: 'shop.evil() = 1' });
    expect(writer.tables[0]?.status).toBe('failed');
    expect(writer.tables[0]?.error?.message).toMatch(/read-only transaction/);
    const rule = await runSync({ ...base, tables: ['shop.customers'], mode: 'full', rules: [{ match: 'name', strategy: 'sql', argument: "1); COMMIT; SET default_transaction_read_only = off; DELETE FROM shop.customers; SELECT (1" }] });
    expect(rule.tables[0]).toMatchObject({ status: 'failed', error: { code: 'PGF_FILTER_INVALID' } });
    expect(await same()).toEqual(before);
  });

  it('a source connection killed mid-COPY leaves the destination unchanged, and a retry completes', async () => {
    await sql(pair.destination.url, `UPDATE shop.big SET pad = 'destination before'`);
    const before = (await tableFingerprints(pair.destination.url, ['shop']))['shop.big'];
    const kill = async () => {
      for (let i = 0; i < 400; i++) {
        const killed = await sql<{ ok: boolean }>(
          pair.source.url,
          `SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE 'pgferry reader%' AND query LIKE 'COPY%' AND state = 'active'`,
        );
        if (killed.length > 0) return true;
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      return false;
    };
    const options: SyncOptions = { ...base, tables: ['shop.big'], mode: 'full', where: 'shop.slow(id) > 0' };
    const [failed, killedOnce] = await Promise.all([runSync({ ...options, retry: { attempts: 1 } }), kill()]);
    expect(killedOnce).toBe(true);
    expect(failed.tables[0]?.status).toBe('failed');
    expect((await tableFingerprints(pair.destination.url, ['shop']))['shop.big']).toBe(before);

    const events: string[] = [];
    const [retried] = await Promise.all([runSync(options, { onEvent: (e) => events.push(e.type) }), kill()]);
    expect(retried.tables[0]).toMatchObject({ status: 'succeeded', attempts: 2, rows: 1000 });
    expect(events).toContain('table:retry');
    expect((await same()).destination['shop.big']).toBe((await same()).source['shop.big']);
  }, 60_000);

  it('quotes hostile identifiers in schema, table and column names', async () => {
    const schema = 'Weird "Schema" ñ';
    const full = await runSync({ ...base, schemas: [schema] });
    expect(full.tables.map((t) => t.status)).toEqual(['succeeded', 'succeeded']);
    await sql(pair.source.url, `UPDATE "Weird ""Schema"" ñ"."select" SET "quoted""col" = 'changed' WHERE "order" < 4`);
    const upsert = await runSync({ ...base, schemas: [schema], mode: 'upsert', tables: ['*.select'] });
    expect(upsert.tables[0]).toMatchObject({ status: 'succeeded', written: 3 });
    const { source, destination } = await same([schema]);
    expect(destination).toEqual(source);
  });

  it('splits big tables into key ranges and loads them in parallel', async () => {
    await sql(pair.source.url, `UPDATE shop.big SET pad = 'split ' || id WHERE id % 100 = 0`);
    const result = await runSync({ ...base, tables: ['shop.big'], mode: 'upsert', splitRows: 300, jobs: 2 });
    expect(result.tables[0]).toMatchObject({ status: 'succeeded', rows: 1000 });
    const plan = await planSync({ ...base, tables: ['shop.big'], mode: 'upsert', splitRows: 300 });
    // The count follows the planner's estimate (reltuples), which autovacuum may refine.
    expect(plan.tables[0]?.chunks.length).toBe(Math.ceil(plan.tables[0]!.estimatedRows / 300));
    expect(plan.tables[0]?.chunks.length).toBeGreaterThan(1);
    expect((await same()).destination['shop.big']).toBe((await same()).source['shop.big']);
    // A text key is split at sampled boundaries; mirror deletes within each range.
    await sql(pair.source.url, `CREATE TABLE shop.tags (tag text PRIMARY KEY, n int); INSERT INTO shop.tags SELECT md5(i::text), i FROM generate_series(1, 3000) i; ANALYZE shop.tags`);
    expect((await runSync({ ...base, tables: ['shop.tags'] })).tables[0]?.status).toBe('succeeded');
    await sql(pair.source.url, `DELETE FROM shop.tags WHERE n % 10 = 0; UPDATE shop.tags SET n = -n WHERE n % 7 = 0`);
    const tagPlan = await planSync({ ...base, tables: ['shop.tags'], mode: 'mirror', splitRows: 500 });
    expect(tagPlan.tables[0]?.chunks.length).toBeGreaterThan(2);
    const mirrored = await runSync({ ...base, tables: ['shop.tags'], mode: 'mirror', splitRows: 500, jobs: 2 });
    expect(mirrored.tables[0]).toMatchObject({ status: 'succeeded', deleted: 300, rows: 2700 });
    expect((await same()).destination['shop.tags']).toBe((await same()).source['shop.tags']);
  });

  it('splits tables with a composite key on its first column, and tables without a key by page ranges', async () => {
    // Composite key: ranges of the first column; each range merges, and mirror deletes, only its own rows.
    await sql(
      pair.source.url,
      `CREATE TABLE shop.lines (order_id int NOT NULL, line int NOT NULL, sku text, PRIMARY KEY (order_id, line));
       INSERT INTO shop.lines SELECT o, l, 'sku-' || o || '-' || l FROM generate_series(1, 400) o, generate_series(1, 5) l;
       CREATE TABLE shop.log (at int, note text);
       INSERT INTO shop.log SELECT i, repeat('n', 200) || i FROM generate_series(1, 4000) i;
       ANALYZE shop.lines, shop.log`,
    );
    const created = await runSync({ ...base, tables: ['shop.lines', 'shop.log'], splitRows: 700, jobs: 2 });
    expect(created.tables.map((t) => [t.table, t.status, t.rows])).toEqual(
      expect.arrayContaining([
        ['shop.lines', 'succeeded', 2000],
        ['shop.log', 'succeeded', 4000],
      ]),
    );
    await sql(pair.source.url, `DELETE FROM shop.lines WHERE order_id % 50 = 0 AND line = 5; UPDATE shop.lines SET sku = 'changed' WHERE line = 1 AND order_id % 3 = 0`);
    const plan = await planSync({ ...base, tables: ['shop.lines'], mode: 'mirror', splitRows: 700 });
    expect(plan.tables[0]?.chunks.length).toBeGreaterThan(1);
    expect(plan.tables[0]?.notes.join(' ')).toMatch(/key ranges on "order_id" \(the first of the key's 2 columns\)/);
    const mirrored = await runSync({ ...base, tables: ['shop.lines'], mode: 'mirror', splitRows: 700, jobs: 2 });
    expect(mirrored.tables[0]).toMatchObject({ status: 'succeeded', rows: 1992, deleted: 8, written: 8 + 133 });
    // No key: a new table is loaded in page ranges; nothing lost or doubled at the boundaries.
    await sql(pair.destination.url, 'DROP TABLE shop.log');
    const logPlan = await planSync({ ...base, tables: ['shop.log'], splitRows: 1000 });
    expect(logPlan.tables[0]?.chunks.map((c) => c.by)).toEqual(expect.arrayContaining(['ctid']));
    expect(logPlan.tables[0]?.chunks.length).toBeGreaterThan(2);
    const reloaded = await runSync({ ...base, tables: ['shop.log'], splitRows: 1000, jobs: 2 });
    expect(reloaded.tables[0]).toMatchObject({ status: 'succeeded', rows: 4000 });
    const { source, destination } = await same();
    expect(destination['shop.lines']).toBe(source['shop.lines']);
    expect(destination['shop.log']).toBe(source['shop.log']);
  });

  it('refuses destructive modes on a protected destination and stops on strict drift', async () => {
    await expect(runSync({ ...base, tables: ['shop.big'], mode: 'full', destinationProtected: true })).rejects.toMatchObject({ code: 'PGF_DESTINATION_PROTECTED' });
    await expect(runSync({ ...base, destination: base.source, tables: ['shop.big'] })).rejects.toMatchObject({ code: 'PGF_VALIDATION_FAILED', message: expect.stringContaining('same database') });
    await sql(pair.source.url, `ALTER TABLE shop.big ADD COLUMN note text DEFAULT 'n'`);
    await expect(runSync({ ...base, tables: ['shop.big'], schemaPolicy: 'strict' })).rejects.toMatchObject({ code: 'PGF_SCHEMA_DRIFT' });
    const plan = await planSync({ ...base, tables: ['shop.big'] });
    expect(plan.tables[0]?.drift).toEqual([{ column: 'note', kind: 'missing-on-destination', source: 'text', destination: null }]);
    const added = await runSync({ ...base, tables: ['shop.big'], schemaPolicy: 'add-columns' });
    expect(added.tables[0]?.status).toBe('succeeded');
    expect((await same()).destination['shop.big']).toBe((await same()).source['shop.big']);
  });

  it('resume skips tables already committed', async () => {
    const result = await runSync({ ...base, schemas: ['shop'], mode: 'full', resumeCommitted: new Set(['shop.customers', 'shop.orders', 'shop.big']), runId: 'r1' });
    expect(result.tables.filter((t) => t.status === 'skipped').map((t) => t.table).sort()).toEqual(['shop.big', 'shop.customers', 'shop.orders']);
    expect(result.tables.find((t) => t.table === 'shop.events')?.status).toBe('succeeded');
  });
});
