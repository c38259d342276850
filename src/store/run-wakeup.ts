import { sql } from 'kysely';
import type pg from 'pg';

import type { Logger } from '../logger.js';
import type { StoreDb } from './repository-helpers.js';

/** Channel on which a queued run is announced, so idle workers start it at once. */
export const runsQueuedChannel = 'pgferry_runs_queued';

/** Announces new queued runs; inside a transaction it is delivered on commit. */
export async function announceQueuedRuns(db: StoreDb): Promise<void> {
  await sql`SELECT pg_notify(${runsQueuedChannel}, '')`.execute(db);
}

/**
 * LISTENs on one pooled connection and calls `wake` on each announcement. Polling stays the
 * safety net: a lost listener only costs latency, and it reconnects.
 */
export function listenForQueuedRuns(pool: pg.Pool, wake: () => void, logger: Logger): { stop(): Promise<void> } {
  let stopped = false;
  let client: pg.PoolClient | undefined;
  let retry: NodeJS.Timeout | undefined;
  const connect = async () => {
    try {
      const connected = await pool.connect();
      if (stopped) {
        connected.release();
        return;
      }
      client = connected;
      connected.on('notification', () => wake());
      connected.on('error', (error) => {
        logger.warn({ err: error }, 'run notifications lost; reconnecting (polling continues meanwhile)');
        connected.release(true);
        client = undefined;
        if (!stopped) retry = setTimeout(() => void connect(), 5000);
      });
      await connected.query(`LISTEN ${runsQueuedChannel}`);
    } catch (error) {
      logger.warn({ err: error }, 'cannot listen for queued runs; retrying (polling continues meanwhile)');
      if (!stopped) retry = setTimeout(() => void connect(), 5000);
    }
  };
  void connect();
  return {
    async stop() {
      stopped = true;
      clearTimeout(retry);
      const current = client;
      client = undefined;
      if (current) {
        await current.query(`UNLISTEN ${runsQueuedChannel}`).catch(() => undefined);
        current.release();
      }
    },
  };
}
