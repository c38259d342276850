import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { listForeignKeysQuery, listTablesQuery } from '../../src/engine/catalog/catalog-queries.js';
import { describeTable, listForeignKeys, listSchemas, listTables } from '../../src/engine/catalog/read-catalog.js';
import { trackResource } from '../helpers/leak-check.js';
import { createTestDatabase } from '../helpers/test-database.js';

describe('catalog queries (pure)', () => {
  it('passes names as parameters, never in the SQL text', () => {
    const query = listTablesQuery(`we'ird"; DROP TABLE x; --`);
    expect(query.values).toEqual([`we'ird"; DROP TABLE x; --`]);
    expect(query.text).not.toContain('DROP TABLE');
    const fks = listForeignKeysQuery({ schema: 'sales', side: 'referencing' });
    expect(fks.values).toEqual(['sales', null]);
    expect(fks.text).toContain('tn.nspname = $1');
  });
});

describe('catalog browsing on a real database', () => {
  let client: pg.Client;
  let release: () => void;

  beforeAll(async () => {
    const database = await createTestDatabase({ migrated: false, prefix: 'pgferry_catalog' });
    client = new pg.Client({ connectionString: database.url });
    await client.connect();
    release = trackResource('catalog client', () => client.end());
    await client.query(`
      CREATE SCHEMA sales;
      COMMENT ON SCHEMA sales IS 'orders and customers';
      CREATE TABLE sales.customers (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, email text NOT NULL UNIQUE, name varchar(80));
      CREATE TABLE sales.orders (
        id integer, line integer, customer_id bigint NOT NULL REFERENCES sales.customers (id) ON DELETE CASCADE,
        amount numeric(12,2) DEFAULT 0, total numeric GENERATED ALWAYS AS (amount * 2) STORED,
        "Mixed Case" text COLLATE "C",
        PRIMARY KEY (id, line));
      COMMENT ON COLUMN sales.orders.amount IS 'in yuan';
      CREATE TABLE sales.audit (at timestamptz, note text);
      CREATE TABLE sales.nullable_unique (code text UNIQUE);
      CREATE TABLE sales.events (id bigint NOT NULL, at date NOT NULL, customer_id bigint REFERENCES sales.customers (id)) PARTITION BY RANGE (at);
      CREATE TABLE sales.events_2024 PARTITION OF sales.events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
      CREATE TABLE sales.events_2025 PARTITION OF sales.events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
      INSERT INTO sales.customers (email) SELECT 'c' || g || '@example.com' FROM generate_series(1, 50) g;
      INSERT INTO sales.events SELECT g, DATE '2024-06-01' + g, 1 FROM generate_series(1, 300) g;
      ANALYZE;
    `);
  });

  afterAll(async () => {
    release();
    await client.end();
  });

  it('lists user schemas with privileges, not system ones', async () => {
    const schemas = await listSchemas(client);
    const names = schemas.map((schema) => schema.name);
    expect(names).toContain('sales');
    expect(names).toContain('public');
    expect(names.some((name) => name.startsWith('pg_') || name === 'information_schema')).toBe(false);
    const sales = schemas.find((schema) => schema.name === 'sales');
    expect(sales).toMatchObject({ table_count: 7, can_use: true, can_create: true, comment: 'orders and customers' });
  });

  it('lists tables with estimates, sizes, keys and partitioning', async () => {
    const tables = await listTables(client, 'sales');
    const byName = new Map(tables.map((table) => [table.name, table]));
    expect([...byName.keys()]).toEqual(['audit', 'customers', 'events', 'events_2024', 'events_2025', 'nullable_unique', 'orders']);

    expect(byName.get('customers')).toMatchObject({ kind: 'table', has_primary_key: true, primary_key: ['id'], has_unique_key: true, estimated_rows: 50, can_select: true });
    expect(byName.get('customers')?.total_bytes).toBeGreaterThan(0);
    expect(byName.get('orders')).toMatchObject({ primary_key: ['id', 'line'], has_unique_key: false });
    expect(byName.get('audit')).toMatchObject({ has_primary_key: false, has_unique_key: false, primary_key: [] });
    // A unique index over a nullable column does not identify rows.
    expect(byName.get('nullable_unique')).toMatchObject({ has_unique_key: false });

    const events = byName.get('events');
    expect(events).toMatchObject({ kind: 'partitioned', partition_key: 'RANGE (at)', partition_count: 2, partition_of: null, estimated_rows: 300 });
    expect(events?.total_bytes).toBeGreaterThan(0);
    expect(byName.get('events_2025')).toMatchObject({ kind: 'table', partition_of: { schema: 'sales', name: 'events' } });
  });

  it('describes columns with types, nullability, defaults, identity and generation', async () => {
    const detail = await describeTable(client, 'sales', 'orders');
    const columns = Object.fromEntries(detail.columns.map((column) => [column.name, column]));
    expect(detail.columns.map((column) => column.name)).toEqual(['id', 'line', 'customer_id', 'amount', 'total', 'Mixed Case']);
    expect(columns.id).toMatchObject({ data_type: 'integer', nullable: false, default: null });
    expect(columns.amount).toMatchObject({ data_type: 'numeric(12,2)', nullable: true, default: '0', comment: 'in yuan' });
    expect(columns.total).toMatchObject({ generated: '(amount * (2)::numeric)', default: null });
    expect(columns['Mixed Case']).toMatchObject({ data_type: 'text', collation: 'C' });
    expect(detail.keys).toEqual([{ name: 'orders_pkey', kind: 'primary', columns: ['id', 'line'] }]);

    const customers = await describeTable(client, 'sales', 'customers');
    expect(customers.columns[0]).toMatchObject({ name: 'id', identity: 'always', data_type: 'bigint' });
    expect(customers.keys.map((key) => key.kind)).toEqual(['primary', 'unique']);
  });

  it('reports foreign keys both ways, once per partitioned table', async () => {
    const orders = await describeTable(client, 'sales', 'orders');
    expect(orders.foreign_keys).toHaveLength(1);
    expect(orders.foreign_keys[0]).toMatchObject({
      table: 'orders',
      columns: ['customer_id'],
      referenced_schema: 'sales',
      referenced_table: 'customers',
      referenced_columns: ['id'],
      on_delete: 'cascade',
      on_update: 'no action',
      validated: true,
    });
    const customers = await describeTable(client, 'sales', 'customers');
    expect(customers.referenced_by.map((fk) => fk.table).sort()).toEqual(['events', 'orders']);
    const all = await listForeignKeys(client, { schema: 'sales' });
    expect(all.map((fk) => fk.table)).toEqual(['events', 'orders']);
  });

  it('names a missing table in a not-found error', async () => {
    await expect(describeTable(client, 'sales', 'nope')).rejects.toMatchObject({ code: 'PGF_NOT_FOUND', message: expect.stringContaining('"sales"."nope"') });
  });
});
