import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';

import { runSync } from '../../../src/engine/sync/run-sync.js';
import { type DatabasePair, createDatabasePair, sql } from './sync-test-helpers.js';

// Two sessions creating the same new table at once (issue 15, item 12): the run that loses
// says so with its own code and creates nothing, instead of a raw catalog duplicate key.
let pair: DatabasePair;

beforeAll(async () => {
  pair = await createDatabasePair();
  await sql(pair.source.url, `CREATE SCHEMA app; CREATE TABLE app.items (id int PRIMARY KEY, name text); INSERT INTO app.items SELECT g, 'i' || g FROM generate_series(1, 10) g;`);
  await sql(pair.destination.url, 'CREATE SCHEMA app');
});

describe('concurrent creation of the same table', () => {
  it('fails the second creator with PGF_SCHEMA_CREATED_CONCURRENTLY, and a run after it loads the table', async () => {
    // Another session creates app.items and keeps its transaction open: the sync plans the
    // table as missing, its CREATE waits on the other's catalog row, then collides with it.
    const other = new pg.Client({ connectionString: pair.destination.url, application_name: 'other creator' });
    await other.connect();
    try {
      await other.query('BEGIN; CREATE TABLE app.items (id int PRIMARY KEY, name text)');
      let settled = false;
      const running = runSync({ source: pair.source.config, destination: pair.destination.config, schemas: ['app'] }).then(
        () => undefined,
        (error: unknown) => error,
      ).finally(() => (settled = true));
      // Until the sync's CREATE waits for the other transaction (or the sync ended some other way).
      while (!settled) {
        const waiting = await sql<{ n: number }>(pair.destination.url, `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'pgferry admin' AND wait_event_type = 'Lock'`);
        if ((waiting[0]?.n ?? 0) > 0) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await other.query('COMMIT');
      const error = (await running) as { code?: string; message?: string };
      expect(error.code).toBe('PGF_SCHEMA_CREATED_CONCURRENTLY');
      expect(error.message).toContain('app.items');
    } finally {
      await other.end();
    }
    const again = await runSync({ source: pair.source.config, destination: pair.destination.config, schemas: ['app'] });
    expect(again.status).toBe('succeeded');
    expect(Number((await sql(pair.destination.url, 'SELECT count(*) AS n FROM app.items'))[0]?.n)).toBe(10);
  });
});
