import { beforeAll, describe, expect, it } from 'vitest';

import { planSync, runSync } from '../../../src/engine/sync/run-sync.js';
import type { SyncOptions } from '../../../src/engine/types.js';
import { type DatabasePair, createDatabasePair, sql } from './sync-test-helpers.js';

// Per-table options (SyncOptions.tableOptions): each table its own mode, filter, cursor and key,
// all in one call (one snapshot, one foreign-key plan).
let pair: DatabasePair;
let base: Pick<SyncOptions, 'source' | 'destination'>;

beforeAll(async () => {
  pair = await createDatabasePair();
  base = { source: pair.source.config, destination: pair.destination.config };
  await sql(
    pair.source.url,
    `CREATE SCHEMA app;
     CREATE TABLE app.accounts (id int PRIMARY KEY, handle text NOT NULL UNIQUE, note text);
     INSERT INTO app.accounts SELECT g, 'h' || g, 'n' || g FROM generate_series(1, 20) g;
     CREATE TABLE app.events (id int PRIMARY KEY, account_id int REFERENCES app.accounts, at int NOT NULL);
     INSERT INTO app.events SELECT g, 1 + g % 20, g FROM generate_series(1, 40) g;
     CREATE TABLE app.partitioned (id int, region text, PRIMARY KEY (id, region)) PARTITION BY LIST (region);
     CREATE TABLE app.partitioned_eu PARTITION OF app.partitioned FOR VALUES IN ('eu');
     INSERT INTO app.partitioned SELECT g, 'eu' FROM generate_series(1, 10) g;`,
  );
});

describe('column rules', () => {
  it('untouched, matched first, keeps a column that a broader rule would change', async () => {
    const result = await runSync({ ...base, tables: ['app.accounts'], rules: [{ match: 'accounts.note', strategy: 'untouched' }, { match: 'note', strategy: 'null' }, { match: 'handle', strategy: 'hash' }] });
    expect(result.status).toBe('succeeded');
    const rows = await sql<{ note: string; handle: string }>(pair.destination.url, 'SELECT note, handle FROM app.accounts WHERE id = 1');
    expect(rows[0]?.note).toBe('n1');
    expect(rows[0]?.handle).not.toBe('h1');
    expect(result.tables[0]?.maskedColumns).toEqual(['handle']);
  });
});

describe('per-table options', () => {
  it('gives each table its own mode, filter and key; a partition takes its parent’s', async () => {
    const plan = await planSync({
      ...base,
      schemas: ['app'],
      mode: 'full',
      tableOptions: [
        { match: 'app.events', mode: 'upsert', where: 'at > 10' },
        { match: 'accounts', key: ['handle'] },
        { match: 'app.partitioned', mode: 'append' },
      ],
    });
    const byId = new Map(plan.tables.map((table) => [table.id, table]));
    expect(byId.get('app.events')).toMatchObject({ mode: 'upsert', filter: 'at > 10' });
    expect(byId.get('app.accounts')).toMatchObject({ mode: 'full', key: ['handle'], keySource: 'chosen key' });
    expect(byId.get('app.partitioned_eu')?.mode).toBe('append');
  });

  it('refuses a chosen key that is no unique index, naming the table, and copies the others', async () => {
    const result = await runSync({ ...base, schemas: ['app'], mode: 'upsert', tableOptions: [{ match: 'app.accounts', key: ['note'] }] });
    const accounts = result.tables.find((table) => table.table === 'app.accounts');
    expect(accounts?.status).toBe('failed');
    expect(accounts?.error?.code).toBe('PGF_TABLE_KEY_NOT_UNIQUE');
    expect(accounts?.error?.message).toContain('app.accounts');
    expect(result.tables.find((table) => table.table === 'app.events')?.status).toBe('succeeded');
    expect(result.status).toBe('failed');
  });

  it('checks every table’s mode before anything is written', async () => {
    await expect(runSync({ ...base, schemas: ['app'], mode: 'append', destinationProtected: true, tableOptions: [{ match: 'app.events', mode: 'mirror' }] })).rejects.toMatchObject({
      code: 'PGF_DESTINATION_PROTECTED',
      message: expect.stringContaining('app.events'),
    });
    await expect(runSync({ ...base, schemas: ['app'], tableOptions: [{ match: 'app.events', mode: 'incremental' }] })).rejects.toMatchObject({
      code: 'PGF_VALIDATION_FAILED',
      message: expect.stringContaining('app.events'),
    });
  });
});
