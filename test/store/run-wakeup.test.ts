import pg from 'pg';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { listenForQueuedRuns } from '../../src/store/run-wakeup.js';
import { adminQuery, createTestDatabase } from '../helpers/test-database.js';

const listeners = async (database: string) =>
  (await adminQuery(`SELECT pid FROM pg_stat_activity WHERE datname = $1 AND query LIKE 'LISTEN%'`, [database])).rows as { pid: number }[];

async function waitFor<T>(read: () => Promise<T>, ok: (value: T) => boolean): Promise<T> {
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

// The listening connection's error handler once released its client a second time when an
// error came after stop() had given it back (or came twice): the pool throws on a double
// release, an uncaught exception that ended the worker or server process.
describe('run wakeup listener', () => {
  let database: { name: string; url: string };
  let pool: pg.Pool;
  const uncaught: unknown[] = [];
  const record = (error: unknown) => uncaught.push(error);

  beforeAll(async () => {
    database = await createTestDatabase({ migrated: false });
    pool = new pg.Pool({ connectionString: database.url, max: 2 });
    pool.on('error', () => undefined); // an idle client's terminated session
    process.on('uncaughtException', record);
  });
  afterAll(async () => {
    process.off('uncaughtException', record);
    await pool.end();
  });

  it('a session ended after stop() is the pool’s to drop, not a second release', async () => {
    const listener = listenForQueuedRuns(pool, () => undefined, pino({ level: 'silent' }));
    const [session] = await waitFor(() => listeners(database.name), (rows) => rows.length === 1);
    await listener.stop();
    await adminQuery('SELECT pg_terminate_backend($1)', [session?.pid]);
    await waitFor(async () => pool.idleCount, (idle) => idle === 0);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(uncaught).toEqual([]);
  });

  it('a session ended while listening is dropped once and listened again', async () => {
    const listener = listenForQueuedRuns(pool, () => undefined, pino({ level: 'silent' }));
    const [first] = await waitFor(() => listeners(database.name), (rows) => rows.length === 1);
    await adminQuery('SELECT pg_terminate_backend($1)', [first?.pid]);
    const [second] = await waitFor(() => listeners(database.name), (rows) => rows.length === 1 && rows[0]?.pid !== first?.pid);
    expect(second?.pid).not.toBe(first?.pid);
    await listener.stop();
    expect(uncaught).toEqual([]);
  });
});
