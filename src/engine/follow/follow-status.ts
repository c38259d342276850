import { openSession } from '../sql/session-settings.js';
import type { FollowOptions, FollowProgress } from './follow-api.js';
import { followNames } from './follow-names.js';
import { formatLsn, parseLsn } from './lsn.js';
import { readPosition } from './position-store.js';

/**
 * A follow's state read from both databases, without a running follower: the slot (active,
 * WAL it retains) and the destination's applied position. Lag seconds are 0 when caught up,
 * else the time since the destination's position last moved (an upper bound of the real lag
 * while a follower runs). Counters of a running process (changes, rate) are 0 here.
 */
export async function followStatus(options: Pick<FollowOptions, 'source' | 'destination' | 'followId'>): Promise<FollowProgress> {
  const names = followNames(options.followId);
  const source = await openSession(options.source, 'source', 'pgferry follow status');
  try {
    const destination = await openSession(options.destination, 'destination', 'pgferry follow status');
    try {
      const [slotResult, position] = await Promise.all([
        source.query<{ current: string; restart: string | null; active: boolean | null; confirmed: string | null }>(
          `SELECT pg_current_wal_lsn()::text AS current, s.restart_lsn::text AS restart, s.active, s.confirmed_flush_lsn::text AS confirmed
             FROM (SELECT 1) AS one LEFT JOIN pg_replication_slots AS s ON s.slot_name = $1`,
          [names.slotName],
        ),
        readPosition(destination, options.followId),
      ]);
      const slot = slotResult.rows[0]!;
      const current = parseLsn(slot.current);
      const applied = position?.lsn ?? null;
      const lagBytes = applied === null ? null : Number(current > applied ? current - applied : 0n);
      const caughtUp = applied !== null && slot.confirmed !== null && parseLsn(slot.confirmed) >= current;
      return {
        followId: options.followId,
        phase: slot.active === null ? (position ? 'failed' : 'stopped') : slot.active ? (position ? 'streaming' : 'copying') : 'stopped',
        ...names,
        sourceLsn: formatLsn(current),
        appliedLsn: applied === null ? null : formatLsn(applied),
        lagBytes,
        lagSeconds: position === undefined ? null : lagBytes === 0 || caughtUp ? 0 : Math.max(0, (Date.now() - position.updatedAt.getTime()) / 1000),
        retainedBytes: slot.restart === null ? null : Number(current - parseLsn(slot.restart)),
        lastAppliedXid: position?.xid ?? null,
        lastAppliedCommitTime: position?.commitTime?.toISOString() ?? null,
        changesApplied: 0,
        changesPerSecond: 0,
        transactionsApplied: 0,
      };
    } finally {
      await destination.end().catch(() => undefined);
    }
  } finally {
    await source.end().catch(() => undefined);
  }
}
