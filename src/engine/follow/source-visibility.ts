import { setTimeout as sleep } from 'node:timers/promises';

import type pg from 'pg';

/**
 * Waits until the source sees a streamed transaction as committed. The walsender decodes a
 * transaction once its commit record is in the WAL, which is a moment before the committing
 * backend leaves the proc array: a catalog lookup made in that moment (a new partition's
 * parent, an added column's default) would not see the transaction's own changes. A
 * transaction holds the lock on its xid until after it left the proc array, so it is visible
 * once that lock is gone (pg_locks, unlike pg_stat_activity's backend_xid, shows every role's).
 */
export async function waitUntilVisible(source: pg.Client, xid: number): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const { rows } = await source.query<{ running: boolean }>(`SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'transactionid' AND transactionid = $1::text::xid) AS running`, [String(xid)]);
    if (!rows[0]!.running) return;
    // Normally gone at the first look; a busy server may take a few milliseconds more.
    await sleep(Math.min(100, 5 * (attempt + 1)));
  }
}
