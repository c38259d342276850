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
  let current: { client: pg.PoolClient; release: (destroy?: boolean) => void } | undefined;
  let retry: NodeJS.Timeout | undefined;
  const connect = async () => {
    try {
      const connected = await pool.connect();
      // Released once: an error can arrive after stop() gave the client back, or twice (an
      // error message, then the socket's end), and a second release throws in the pool.
      let released = false;
      const release = (destroy?: boolean) => {
        if (released) return;
        released = true;
        connected.release(destroy);
      };
      if (stopped) {
        release();
        return;
      }
      current = { client: connected, release };
      connected.on('notification', () => wake());
      connected.on('error', (error) => {
        if (released) return;
        logger.warn({ err: error }, 'run notifications lost; reconnecting (polling continues meanwhile)');
        release(true);
        current = undefined;
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
      const listening = current;
      current = undefined;
      if (listening) {
        await listening.client.query(`UNLISTEN ${runsQueuedChannel}`).catch(() => undefined);
        listening.release();
      }
    },
  };
}
