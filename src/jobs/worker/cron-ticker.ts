import { type Kysely, sql } from 'kysely';

import type { Logger } from '../../logger.js';
import type { StoreDatabase } from '../../store/store-types.js';
import { scheduleDueJobs } from '../job-scheduler.js';
import { scheduleDueDrills } from '../protection/protection-drill-scheduler.js';
import type { WorkerEvents } from './worker-events.js';

/**
 * Fires due cron ticks (safe in every process: each tick fires once across all of them) and
 * tells when the next tick or queued retry is due, so a poll can be aimed at it instead of
 * waiting up to a whole interval.
 */
export class CronTicker {
  constructor(
    private readonly options: { db: Kysely<StoreDatabase>; logger: Logger; events: WorkerEvents; fireTicks: boolean },
  ) {}

  async fire(): Promise<void> {
    if (!this.options.fireTicks) return;
    const ticks = await scheduleDueJobs(this.options.db, this.options.logger);
    if (ticks.length > 0) this.options.events.emit('tick:fired', { ticks });
    await scheduleDueDrills(this.options.db, this.options.logger);
  }

  /** Milliseconds until the earliest upcoming tick or delayed queued run; undefined when none. */
  async msUntilNextDue(): Promise<number | undefined> {
    const ticks = this.options.fireTicks;
    const result = await sql<{ ms: number | null }>`
      SELECT (extract(epoch FROM least(
        ${ticks ? sql`(SELECT min(next_fire_at) FROM sync_jobs WHERE enabled AND cron IS NOT NULL)` : sql`NULL::timestamptz`},
        ${ticks ? sql`(SELECT min(next_fire_at) FROM backup_jobs WHERE enabled AND cron IS NOT NULL)` : sql`NULL::timestamptz`},
        ${ticks ? sql`(SELECT min(drill_next_fire_at) FROM connection_protection WHERE enabled AND drill_cron IS NOT NULL)` : sql`NULL::timestamptz`},
        (SELECT min(scheduled_for) FROM runs WHERE status = 'queued' AND scheduled_for > now())
      ) - now()) * 1000)::float8 AS ms`.execute(this.options.db);
    return result.rows[0]?.ms ?? undefined;
  }
}
