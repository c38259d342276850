import { type Kysely, sql } from 'kysely';

import type { Logger } from '../logger.js';
import type { StoreDatabase } from '../store/store-types.js';
import { nextFireTime } from './cron/cron-schedule.js';

export interface ScheduledTick {
  kind: 'sync' | 'backup';
  jobId: string;
  jobName: string;
  tick: Date;
  /** The run created for the tick, or undefined when the tick was skipped. */
  runId: string | undefined;
  /** Set when skipped: the job's run that was still active. */
  activeRunId?: string | undefined;
}

interface DueJob {
  id: string;
  name: string;
  cron: string;
  timezone: string;
  next_fire_at: Date;
  now: Date;
}

const jobTables = { sync: 'sync_jobs', backup: 'backup_jobs' } as const;
const jobColumns = { sync: 'sync_job_id', backup: 'backup_job_id' } as const;

/**
 * Starts the runs of every due tick, exactly once across any number of processes: each due
 * job row is locked (SKIP LOCKED, so schedulers never wait on each other) and its
 * next_fire_at advanced in the same transaction; the unique (job, scheduled_for) index on
 * runs is a second guard. A tick that finds the job's previous run still active is skipped
 * and counted on the job, and noted in that run's log.
 */
export async function scheduleDueJobs(db: Kysely<StoreDatabase>, logger: Logger, batch = 100): Promise<ScheduledTick[]> {
  const ticks: ScheduledTick[] = [];
  for (const kind of ['sync', 'backup'] as const) {
    for (;;) {
      const done = await db.transaction().execute(async (tx) => {
        const table = sql.table(jobTables[kind]);
        const due = await sql<DueJob>`
          SELECT id, name, cron, timezone, next_fire_at, now() AS now FROM ${table}
          WHERE enabled AND cron IS NOT NULL AND next_fire_at <= now()
          ORDER BY next_fire_at
          LIMIT ${batch}
          FOR UPDATE SKIP LOCKED`.execute(tx);
        for (const job of due.rows) ticks.push(await fireTick(tx, kind, job, logger));
        return due.rows.length < batch;
      });
      if (done) break;
    }
  }
  return ticks;
}

async function fireTick(tx: Kysely<StoreDatabase>, kind: 'sync' | 'backup', job: DueJob, logger: Logger): Promise<ScheduledTick> {
  const table = sql.table(jobTables[kind]);
  const column = sql.ref(jobColumns[kind]);
  let next: Date | null = null;
  try {
    // From the later of the tick and the database clock, so missed ticks collapse into one run.
    const from = job.now > job.next_fire_at ? job.now : job.next_fire_at;
    next = nextFireTime(job.cron, job.timezone, from);
  } catch (error) {
    logger.error({ err: error, jobId: job.id }, `job "${job.name}" has an invalid schedule; it stays unscheduled until edited`);
  }
  await sql`UPDATE ${table} SET next_fire_at = ${next} WHERE id = ${job.id}`.execute(tx);
  // No conflict target: any unique index (one active run per job, one run per tick) turns the insert into nothing.
  const inserted = await sql<{ id: string }>`
    INSERT INTO runs (kind, ${column}, job_name, trigger, scheduled_for)
    VALUES (${kind}, ${job.id}, ${job.name}, 'schedule', ${job.next_fire_at})
    ON CONFLICT DO NOTHING
    RETURNING id`.execute(tx);
  const runId = inserted.rows[0]?.id;
  if (runId) return { kind, jobId: job.id, jobName: job.name, tick: job.next_fire_at, runId };

  const active = await sql<{ id: string }>`
    SELECT id FROM runs WHERE ${column} = ${job.id} AND status IN ('queued', 'running') LIMIT 1`.execute(tx);
  const activeRunId = active.rows[0]?.id;
  await sql`UPDATE ${table} SET skipped_ticks = skipped_ticks + 1, last_skipped_tick_at = ${job.next_fire_at} WHERE id = ${job.id}`.execute(tx);
  const reason = activeRunId ? `run ${activeRunId} is still active` : 'a run for this tick already exists';
  if (activeRunId) {
    await tx
      .insertInto('run_logs')
      .values({
        run_id: activeRunId,
        level: 'warn',
        message: `scheduled tick ${job.next_fire_at.toISOString()} skipped: this run of the job is still active`,
        data: JSON.stringify({ skippedTick: job.next_fire_at.toISOString() }),
      })
      .execute();
  }
  logger.warn({ jobId: job.id, tick: job.next_fire_at, activeRunId }, `${kind} job "${job.name}": tick skipped, ${reason}`);
  return { kind, jobId: job.id, jobName: job.name, tick: job.next_fire_at, runId: undefined, activeRunId };
}
