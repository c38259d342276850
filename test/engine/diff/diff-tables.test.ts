import { createHash } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import { compareTables } from '../../../src/engine/diff/diff-tables.js';
import type { TableComparison } from '../../../src/engine/diff/diff-types.js';
import { createDatabasePair, runSql } from './diff-test-databases.js';

// Tables with every kind of key the bisection handles: integer, composite with a text part
// whose order depends on collation, text, uuid, none (with duplicate rows), a partitioned
// table, and hostile names.
const setup = `
CREATE SCHEMA shop;
CREATE TABLE shop.orders (id bigint PRIMARY KEY, customer text NOT NULL, total numeric(12,2), note text);
INSERT INTO shop.orders SELECT g, 'c' || (g % 97), g * 1.25, CASE WHEN g % 10 = 0 THEN NULL ELSE md5(g::text) END
  FROM generate_series(1, 3000) AS g;
CREATE TABLE shop.lines (region text, seq int, qty int NOT NULL, PRIMARY KEY (region, seq));
INSERT INTO shop.lines SELECT (ARRAY['Zürich', 'zebra', 'Apple', 'apple', 'Éclair', '北京', 'a b'])[1 + g % 7], g, g % 13
  FROM generate_series(1, 2100) AS g;
CREATE TABLE shop.skus (code varchar(40) PRIMARY KEY, label text);
INSERT INTO shop.skus SELECT 'SKU-' || md5(g::text), 'label ' || g FROM generate_series(1, 1500) AS g;
CREATE TABLE shop.devices (id uuid PRIMARY KEY, name text);
INSERT INTO shop.devices SELECT md5('d' || g)::uuid, 'device ' || g FROM generate_series(1, 1200) AS g;
CREATE TABLE shop.events (kind text, amount int);
INSERT INTO shop.events SELECT (ARRAY['click', 'view'])[1 + g % 2], g % 5 FROM generate_series(1, 2000) AS g;
CREATE TABLE shop.measures (day date NOT NULL, sensor int NOT NULL, value float8, PRIMARY KEY (day, sensor)) PARTITION BY RANGE (day);
CREATE TABLE shop.measures_2024 PARTITION OF shop.measures FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE shop.measures_2025 PARTITION OF shop.measures FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
INSERT INTO shop.measures SELECT date '2024-06-01' + (g % 400), g / 400, g / 7.0 FROM generate_series(0, 3999) AS g;
CREATE SCHEMA "Odd Schema";
CREATE TABLE "Odd Schema"."Order ""Items""" ("Key" text PRIMARY KEY, "select" int, "naïve col" text);
INSERT INTO "Odd Schema"."Order ""Items""" SELECT 'K' || g, g, 'v' || g FROM generate_series(1, 400) AS g;
`;

const md5 = (text: string) => createHash('md5').update(text).digest('hex');
const md5Uuid = (text: string) => md5(text).replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5');

const byName = (tables: TableComparison[], name: string) => {
  const table = tables.find((item) => item.name === name);
  if (table === undefined) throw new Error(`no result for ${name}`);
  return table;
};

describe('compareTables', () => {
  it('finds identical databases equal, for every kind of key and without one', async () => {
    const pair = await createDatabasePair(setup);
    const summary = await compareTables(pair.source, pair.destination, {});
    expect(summary.tables.map((table) => `${table.schema}.${table.name}:${table.status}`).sort()).toEqual([
      'Odd Schema.Order "Items":equal',
      'shop.devices:equal',
      'shop.events:equal',
      'shop.lines:equal',
      'shop.measures:equal',
      'shop.orders:equal',
      'shop.skus:equal',
    ]);
    expect(summary.equal).toBe(true);
    expect(byName(summary.tables, 'lines').key).toEqual(['region', 'seq']);
    expect(byName(summary.tables, 'events').key).toBeNull();
    expect(byName(summary.tables, 'measures').source?.rows).toBe('4000');
  });

  it('reports missing, extra and changed rows by key, for integer, composite, text and uuid keys', async () => {
    const pair = await createDatabasePair(setup);
    await runSql(
      pair.destinationUrl,
      `
      DELETE FROM shop.orders WHERE id = 1234;
      UPDATE shop.orders SET note = '' WHERE id = 2000;          -- NULL on the source: '' must differ
      INSERT INTO shop.orders VALUES (99999, 'c1', 1, 'extra');
      UPDATE shop.lines SET qty = qty + 1 WHERE region = 'Éclair' AND seq = 4;
      DELETE FROM shop.lines WHERE region = '北京' AND seq = 5;
      INSERT INTO shop.lines VALUES ('apple', 100000, 1);
      UPDATE shop.skus SET label = 'LABEL 700' WHERE code = 'SKU-' || md5('700');
      DELETE FROM shop.devices WHERE id = md5('d5')::uuid;
      UPDATE shop.measures SET value = 'NaN' WHERE day = date '2024-06-01' + 17 AND sensor = 0;
      UPDATE "Odd Schema"."Order ""Items""" SET "naïve col" = 'x' WHERE "Key" = 'K7';
      `,
    );
    const summary = await compareTables(pair.source, pair.destination, { schemas: ['shop', 'Odd Schema'] });
    expect(summary.equal).toBe(false);
    const rows = (name: string) =>
      byName(summary.tables, name)
        .rows.map((row) => ('key' in row ? `${row.kind}:${row.key.join('|')}` : `${row.kind}:${row.row}`))
        .sort();
    expect(rows('orders')).toEqual(['changed:2000', 'extra:99999', 'missing:1234']);
    expect(rows('lines')).toEqual(['changed:Éclair|4', 'extra:apple|100000', 'missing:北京|5']);
    expect(rows('skus')).toEqual([`changed:SKU-${md5('700')}`]);
    expect(rows('devices')).toEqual([`missing:${md5Uuid('d5')}`]);
    expect(rows('measures')).toEqual(['changed:2024-06-18|0']);
    expect(rows('Order "Items"')).toEqual(['changed:K7']);
    expect(byName(summary.tables, 'events').status).toBe('equal');
    for (const table of summary.tables.filter((item) => item.status === 'different')) {
      expect(table.truncated).toBe(false);
      expect(table.ranges.length).toBeGreaterThan(0);
    }
  });

  it('finds a missing copy of a duplicated row in a table without a key', async () => {
    const pair = await createDatabasePair(setup);
    await runSql(
      pair.destinationUrl,
      `DELETE FROM shop.events WHERE ctid = (SELECT ctid FROM shop.events WHERE kind = 'view' AND amount = 3 LIMIT 1);
       INSERT INTO shop.events VALUES ('purchase', 42), ('purchase', 42);`,
    );
    const summary = await compareTables(pair.source, pair.destination, { tables: ['shop.events'] });
    const events = byName(summary.tables, 'events');
    expect(events.status).toBe('different');
    expect(events.source?.rows).toBe('2000');
    expect(events.destination?.rows).toBe('2001');
    expect(events.rows).toEqual(
      expect.arrayContaining([
        { kind: 'missing', row: '(view,3)', copies: 1 },
        { kind: 'extra', row: '(purchase,42)', copies: 2 },
      ]),
    );
    expect(events.rows).toHaveLength(2);
  });

  it('reports a table missing on the destination and columns that do not line up', async () => {
    const pair = await createDatabasePair(setup);
    await runSql(pair.destinationUrl, 'DROP TABLE shop.skus; ALTER TABLE shop.devices DROP COLUMN name; ALTER TABLE shop.orders ADD COLUMN extra int');
    const summary = await compareTables(pair.source, pair.destination, { tables: ['shop.skus', 'shop.devices', 'shop.orders'] });
    expect(byName(summary.tables, 'skus').status).toBe('missing_on_destination');
    expect(byName(summary.tables, 'devices')).toMatchObject({ status: 'incomparable', reason: expect.stringMatching(/lacks column\(s\) "name"/) });
    const orders = byName(summary.tables, 'orders');
    expect(orders.status).toBe('equal');
    expect(orders.notes.join(' ')).toMatch(/destination-only column\(s\) not compared: "extra"/);
  });

  it('stops listing rows at maxRows and says so', async () => {
    const pair = await createDatabasePair(setup);
    await runSql(pair.destinationUrl, 'TRUNCATE shop.orders');
    const summary = await compareTables(pair.source, pair.destination, { tables: ['orders'] }, { maxRows: 5 });
    const orders = byName(summary.tables, 'orders');
    expect(orders.rows).toHaveLength(5);
    expect(orders.rows.every((row) => row.kind === 'missing')).toBe(true);
    expect(orders.truncated).toBe(true);
    expect(orders.ranges).toEqual([{ range: { kind: 'key', lower: null, upper: null }, sourceRows: 3000, destinationRows: 0 }]);
  });

  it('exchanges far fewer bytes than the data when one row of a large-ish table changed', async () => {
    const pair = await createDatabasePair(`
      CREATE TABLE public.big (id int PRIMARY KEY, payload text NOT NULL, n numeric NOT NULL);
      INSERT INTO public.big SELECT g, repeat(md5(g::text), 4), g / 3.0 FROM generate_series(1, 60000) AS g;`);
    await runSql(pair.destinationUrl, `UPDATE public.big SET payload = 'changed' WHERE id = 41234`);
    const dataBytes = Number((await runSql(pair.sourceUrl, 'SELECT sum(octet_length(b::text)) AS bytes FROM public.big AS b')).rows[0].bytes);
    const summary = await compareTables(pair.source, pair.destination, { tables: ['big'] }, { fanout: 16, leafRows: 256 });
    const big = byName(summary.tables, 'big');
    expect(big.rows).toEqual([{ kind: 'changed', key: ['41234'] }]);
    // ~9 MB of row text; the bisection moves a few tens of kB (catalog reads included).
    expect(dataBytes).toBeGreaterThan(8_000_000);
    expect(summary.bytesTransferred).toBeLessThan(dataBytes / 50);
    expect(big.bytesTransferred).toBeLessThan(dataBytes / 100);

    const identical = await compareTables(pair.source, pair.source, { tables: ['big'] });
    expect(identical.equal).toBe(true);
    // Identical tables: counts and sums only; the rest is reading both catalogs.
    expect(identical.tables[0]?.bytesTransferred).toBeLessThan(dataBytes / 100);
  });

  it('fails with PGF_RUN_CANCELLED when aborted', async () => {
    const pair = await createDatabasePair(setup);
    const controller = new AbortController();
    controller.abort();
    await expect(compareTables(pair.source, pair.destination, {}, { signal: controller.signal })).rejects.toMatchObject({ code: 'PGF_RUN_CANCELLED' });
  });
});

