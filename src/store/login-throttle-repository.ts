import { type Kysely, sql } from 'kysely';

import type { StoreDatabase } from './store-types.js';

export interface ThrottleLimit {
  key: string;
  maxFailures: number;
}

/**
 * Fixed-window failed-login counters in PostgreSQL, so several API processes share them.
 * A key that reached its limit stays locked until its window ends.
 */
export class LoginThrottleRepository {
  constructor(private readonly db: Kysely<StoreDatabase>) {}

  /** Seconds until the first locked key unlocks, or 0 when none is locked. */
  async lockedForSeconds(limits: ThrottleLimit[], windowSeconds: number): Promise<number> {
    if (limits.length === 0) return 0;
    const rows = await this.db
      .selectFrom('login_throttle')
      .select(['key', 'failures', sql<number>`extract(epoch FROM window_started_at + make_interval(secs => ${windowSeconds}) - now())`.as('remaining')])
      .where(
        'key',
        'in',
        limits.map((limit) => limit.key),
      )
      .execute();
    let wait = 0;
    for (const row of rows) {
      const limit = limits.find((item) => item.key === row.key);
      const remaining = Number(row.remaining);
      if (limit && row.failures >= limit.maxFailures && remaining > 0) wait = Math.max(wait, Math.ceil(remaining));
    }
    return wait;
  }

  /** Counts one failure against every key, starting a new window where the old one ended. */
  async recordFailure(keys: string[], windowSeconds: number): Promise<void> {
    for (const key of keys) {
      await sql`
        INSERT INTO login_throttle AS t (key, failures, window_started_at) VALUES (${key}, 1, now())
        ON CONFLICT (key) DO UPDATE SET
          failures = CASE WHEN t.window_started_at <= now() - make_interval(secs => ${windowSeconds}) THEN 1 ELSE t.failures + 1 END,
          window_started_at = CASE WHEN t.window_started_at <= now() - make_interval(secs => ${windowSeconds}) THEN now() ELSE t.window_started_at END
      `.execute(this.db);
    }
  }

  async clear(key: string): Promise<void> {
    await this.db.deleteFrom('login_throttle').where('key', '=', key).execute();
  }

  async pruneExpired(windowSeconds: number): Promise<void> {
    await this.db
      .deleteFrom('login_throttle')
      .where('window_started_at', '<=', sql<Date>`now() - make_interval(secs => ${windowSeconds})`)
      .execute();
  }
}
