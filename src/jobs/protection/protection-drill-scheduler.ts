import { type Kysely, sql } from 'kysely';

import { nextFireTime } from '../../cron/cron-schedule.js';
import type { Logger } from '../../logger.js';
import { announceQueuedRuns } from '../../store/run-wakeup.js';
import type { StoreDatabase } from '../../store/store-types.js';

/**
 * Queues a physical drill run (kind `drill`, params.physical) for every protected connection
 * whose drill_cron is due, once across all processes: the rows are locked SKIP LOCKED and
 * drill_next_fire_at advanced in the same transaction. A tick while the connection's previous
 * drill is still queued or running is skipped (logged), as backup jobs skip theirs.
 */
export async function scheduleDueDrills(db: Kysely<StoreDatabase>, logger: Logger): Promise<string[]> {
  return db.transaction().execute(async (tx) => {
    const due = (
      await sql<{ connection_id: string; name: string; drill_cron: string; drill_timezone: string; drill_next_fire_at: Date; now: Date }>`
        SELECT p.connection_id, c.name, p.drill_cron, p.drill_timezone, p.drill_next_fire_at, now() AS now
        FROM connection_protection p JOIN connections c ON c.id = p.connection_id
        WHERE p.enabled AND p.drill_cron IS NOT NULL AND p.drill_next_fire_at <= now()
        ORDER BY p.drill_next_fire_at LIMIT 100
        FOR UPDATE OF p SKIP LOCKED`.execute(tx)
    ).rows;
    const queued: string[] = [];
    for (const row of due) {
      let next: Date | null = null;
      try {
        next = nextFireTime(row.drill_cron, row.drill_timezone, row.now > row.drill_next_fire_at ? row.now : row.drill_next_fire_at);
      } catch (error) {
        logger.error({ err: error, connectionId: row.connection_id }, `protection of "${row.name}" has an invalid drill schedule; it stays unscheduled until edited`);
      }
      await tx.updateTable('connection_protection').set({ drill_next_fire_at: next }).where('connection_id', '=', row.connection_id).execute();
      const active = await tx
        .selectFrom('runs')
        .select('id')
        .where('kind', '=', 'drill')
        .where('status', 'in', ['queued', 'running'])
        .where(sql<boolean>`params->>'connection_id' = ${row.connection_id}`)
        .executeTakeFirst();
      if (active) {
        logger.warn({ connectionId: row.connection_id, activeRunId: active.id }, `physical drill of "${row.name}": tick ${row.drill_next_fire_at.toISOString()} skipped, run ${active.id} is still active`);
        continue;
      }
      const run = await tx
        .insertInto('runs')
        .values({ kind: 'drill', job_name: `physical drill of ${row.name}`, trigger: 'schedule', scheduled_for: row.drill_next_fire_at, params: JSON.stringify({ physical: true, connection_id: row.connection_id }) })
        .returning('id')
        .executeTakeFirstOrThrow();
      queued.push(run.id);
    }
    if (queued.length > 0) await announceQueuedRuns(tx);
    return queued;
  });
}
