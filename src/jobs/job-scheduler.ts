import { type Kysely, sql } from 'kysely';

import type { Logger } from '../logger.js';
import type { StoreDatabase } from '../store/store-types.js';
import { nextFireTime } from '../cron/cron-schedule.js';
import { announceQueuedRuns } from '../store/run-wakeup.js';

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
 * job row is locked (SKIP LOCKED, so schedulers never wait on each other and share a large
 * batch) and its next_fire_at advanced in the same transaction; the unique (job,
 * scheduled_for) index on runs is a second guard. A tick that finds the job's previous run
 * still active is skipped, counted on the job, and noted in that run's log. A few
 * set-based statements per batch, whatever its size.
 */
export async function scheduleDueJobs(db: Kysely<StoreDatabase>, logger: Logger, batch = 100): Promise<ScheduledTick[]> {
  const ticks: ScheduledTick[] = [];
  for (const kind of ['sync', 'backup'] as const) {
    for (;;) {
      const fired = await db.transaction().execute((tx) => fireBatch(tx, kind, batch, logger));
      ticks.push(...fired.ticks);
      if (fired.due < batch) break;
    }
  }
  return ticks;
}

async function fireBatch(tx: Kysely<StoreDatabase>, kind: 'sync' | 'backup', batch: number, logger: Logger): Promise<{ due: number; ticks: ScheduledTick[] }> {
  const table = sql.table(jobTables[kind]);
  const column = sql.ref(jobColumns[kind]);
  const due = (
    await sql<DueJob>`
      SELECT id, name, cron, timezone, next_fire_at, now() AS now FROM ${table}
      WHERE enabled AND cron IS NOT NULL AND next_fire_at <= now()
      ORDER BY next_fire_at
      LIMIT ${batch}
      FOR UPDATE SKIP LOCKED`.execute(tx)
  ).rows;
  if (due.length === 0) return { due: 0, ticks: [] };

  const next = due.map((job) => {
    try {
      // From the later of the tick and the database clock, so missed ticks collapse into one run.
      return nextFireTime(job.cron, job.timezone, job.now > job.next_fire_at ? job.now : job.next_fire_at);
    } catch (error) {
      logger.error({ err: error, jobId: job.id }, `job "${job.name}" has an invalid schedule; it stays unscheduled until edited`);
      return null;
    }
  });
  const ids = due.map((job) => job.id);
  await sql`
    UPDATE ${table} AS job SET next_fire_at = planned.next
    FROM unnest(${ids}::uuid[], ${next.map((time) => time?.toISOString() ?? null)}::timestamptz[]) AS planned(id, next)
    WHERE job.id = planned.id`.execute(tx);
  // No conflict target: any unique index (one active run per job, one run per tick) turns a row into nothing.
  const inserted = await sql<{ job_id: string; id: string }>`
    INSERT INTO runs (kind, ${column}, job_name, trigger, scheduled_for)
    SELECT ${kind}, tick.id, tick.name, 'schedule', tick.at
    FROM unnest(${ids}::uuid[], ${due.map((job) => job.name)}::text[], ${due.map((job) => job.next_fire_at.toISOString())}::timestamptz[]) AS tick(id, name, at)
    ON CONFLICT DO NOTHING
    RETURNING ${column} AS job_id, id`.execute(tx);
  const runByJob = new Map(inserted.rows.map((row) => [row.job_id, row.id]));
  if (inserted.rows.length > 0) await announceQueuedRuns(tx);
  const skipped = due.filter((job) => !runByJob.has(job.id));
  const activeByJob = new Map<string, string>();
  if (skipped.length > 0) {
    const skippedIds = skipped.map((job) => job.id);
    await sql`
      UPDATE ${table} AS job SET skipped_ticks = skipped_ticks + 1, last_skipped_tick_at = tick.at
      FROM unnest(${skippedIds}::uuid[], ${skipped.map((job) => job.next_fire_at.toISOString())}::timestamptz[]) AS tick(id, at)
      WHERE job.id = tick.id`.execute(tx);
    const active = await sql<{ job_id: string; id: string }>`
      SELECT ${column} AS job_id, id FROM runs WHERE ${column} = ANY(${skippedIds}::uuid[]) AND status IN ('queued', 'running')`.execute(tx);
    for (const row of active.rows) activeByJob.set(row.job_id, row.id);
    const notes = skipped.filter((job) => activeByJob.has(job.id));
    if (notes.length > 0) {
      await tx
        .insertInto('run_logs')
        .values(
          notes.map((job) => ({
            run_id: activeByJob.get(job.id) as string,
            level: 'warn' as const,
            message: `scheduled tick ${job.next_fire_at.toISOString()} skipped: this run of the job is still active`,
            data: JSON.stringify({ skippedTick: job.next_fire_at.toISOString() }),
          })),
        )
        .execute();
    }
    for (const job of skipped) {
      const activeRunId = activeByJob.get(job.id);
      logger.warn({ jobId: job.id, tick: job.next_fire_at, activeRunId }, `${kind} job "${job.name}": tick skipped, ${activeRunId ? `run ${activeRunId} is still active` : 'a run for this tick already exists'}`);
    }
  }
  return {
    due: due.length,
    ticks: due.map((job) => ({ kind, jobId: job.id, jobName: job.name, tick: job.next_fire_at, runId: runByJob.get(job.id), activeRunId: activeByJob.get(job.id) })),
  };
}
