import type { Backup } from '../api/backups.js';
import type { RunListItem, RunStatus } from '../api/runs.js';
import { nextFireTimes } from './cron.js';

export interface DayBucket {
  day: string;
  succeeded: number;
  incomplete: number;
  failed: number;
  cancelled: number;
  running: number;
}

export interface RunSummary {
  days: DayBucket[];
  finished: number;
  succeeded: number;
  successRate: number | null;
  rows: number;
  bytes: number;
  /** Rows per second over the finished runs' busy time. */
  throughput: number | null;
}

function dayKey(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/** Runs per UTC day by status, success rate, volume and throughput over `days` days. */
export function summarizeRuns(runs: readonly RunListItem[], days = 14, now = new Date()): RunSummary {
  const buckets = new Map<string, DayBucket>();
  for (let i = days - 1; i >= 0; i -= 1) {
    const day = dayKey(new Date(now.getTime() - i * 86_400_000));
    buckets.set(day, { day, succeeded: 0, incomplete: 0, failed: 0, cancelled: 0, running: 0 });
  }
  let finished = 0;
  let succeeded = 0;
  let rows = 0;
  let bytes = 0;
  let busyMs = 0;
  let busyRows = 0;
  for (const run of runs) {
    const at = new Date(run.started_at ?? run.queued_at);
    const bucket = buckets.get(dayKey(at));
    if (!bucket) continue;
    const status: RunStatus = run.status;
    if (status === 'succeeded' || status === 'incomplete' || status === 'failed' || status === 'cancelled') bucket[status] += 1;
    else bucket.running += 1;
    rows += Number(run.total_rows) || 0;
    bytes += Number(run.total_bytes) || 0;
    // An incomplete run is finished but not a success.
    if (status === 'succeeded' || status === 'incomplete' || status === 'failed') {
      finished += 1;
      if (status === 'succeeded') succeeded += 1;
    }
    if (run.started_at && run.finished_at && status === 'succeeded') {
      busyMs += new Date(run.finished_at).getTime() - new Date(run.started_at).getTime();
      busyRows += Number(run.total_rows) || 0;
    }
  }
  return {
    days: [...buckets.values()],
    finished,
    succeeded,
    successRate: finished > 0 ? succeeded / finished : null,
    rows,
    bytes,
    throughput: busyMs > 0 ? busyRows / (busyMs / 1000) : null,
  };
}

export interface BackupAge {
  database: string;
  lastAt: string | null;
  ageMs: number | null;
  overdue: boolean;
}

/**
 * The newest usable backup per database. Overdue when the job's schedule should have
 * fired at least once more after a grace period since then, or (without a schedule)
 * when older than `fallbackMs`.
 */
export function backupAges(
  backups: readonly Backup[],
  schedules: Record<string, { cron: string | null; timezone: string } | undefined>,
  now = new Date(),
  fallbackMs = 26 * 3_600_000,
): BackupAge[] {
  const newest = new Map<string, Backup>();
  for (const backup of backups) {
    if (backup.state === 'corrupt' || backup.state === 'expired' || backup.state === 'drill_failed') continue;
    const current = newest.get(backup.database_name);
    if (!current || current.created_at < backup.created_at) newest.set(backup.database_name, backup);
  }
  return [...newest.entries()]
    .map(([database, backup]) => {
      const last = new Date(backup.created_at);
      const ageMs = now.getTime() - last.getTime();
      const schedule = backup.backup_job_id ? schedules[backup.backup_job_id] : undefined;
      let overdue = ageMs > fallbackMs;
      if (schedule?.cron) {
        const [second, third] = nextFireTimes(schedule.cron, schedule.timezone, 2, last);
        // A missed tick plus an hour of grace for the run itself.
        const due = second ?? third;
        overdue = due ? now.getTime() > due.getTime() + 3_600_000 : overdue;
      }
      return { database, lastAt: backup.created_at, ageMs, overdue };
    })
    .sort((a, b) => a.database.localeCompare(b.database));
}
