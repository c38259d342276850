import { type Kysely, sql } from 'kysely';

import type { StoreDatabase } from '../store/store-types.js';

/** Upper bounds (seconds) of the run duration histogram: 1 s … 6 h. */
export const runDurationBuckets = [1, 5, 15, 30, 60, 300, 900, 1800, 3600, 7200, 21600] as const;

export interface RunCountRow {
  kind: string;
  status: string;
  runs: number;
  rows: number;
  bytes: number;
}

export interface RunDurationRow {
  kind: string;
  status: string;
  /** Cumulative counts, one per entry of `runDurationBuckets`. */
  buckets: number[];
  count: number;
  sum: number;
}

export interface JobSuccessRow {
  jobType: 'sync' | 'backup';
  jobId: string;
  jobName: string;
  lastSuccessSeconds: number;
}

export interface BackupAgeRow {
  connectionId: string;
  connectionName: string;
  /** Seconds since the newest usable backup of the connection was created (store clock). */
  newestBackupAgeSeconds: number;
}

export interface NotificationRow {
  channelName: string;
  channelKind: string;
  status: string;
  deliveries: number;
}

/** A continuous-sync job's figures as its follower last stored them (null: not measured yet). */
export interface FollowMetricsRow {
  jobId: string;
  jobName: string;
  /** 1 while a worker holds the job's lease, else 0. */
  following: number;
  lagBytes: number | null;
  lagSeconds: number | null;
  retainedBytes: number | null;
  changesApplied: number | null;
  /** Seconds since the figures were stored. */
  ageSeconds: number | null;
}

/** A protected connection's figures as its streamer last stored them (null: not measured yet). */
export interface ProtectionMetricsRow {
  connectionId: string;
  connectionName: string;
  /** 1 while a worker holds the lease and streams, else 0. */
  streaming: number;
  lagBytes: number | null;
  lagSeconds: number | null;
  retainedBytes: number | null;
  /** Seconds since the figures were stored. */
  ageSeconds: number | null;
}

/** Everything /metrics reads from the store, at one point in time. */
export interface StoreMetricsSnapshot {
  runs: RunCountRow[];
  durations: RunDurationRow[];
  jobs: JobSuccessRow[];
  backups: BackupAgeRow[];
  notifications: NotificationRow[];
  follows: FollowMetricsRow[];
  protections: ProtectionMetricsRow[];
  oldestQueuedSeconds: number | null;
}

const num = (value: unknown): number => (value === null || value === undefined ? 0 : Number(value));

/**
 * Aggregates computed by PostgreSQL at scrape time, so every API replica reports the same
 * figures and nothing is lost when a process restarts. Each query is one indexed pass over
 * runs kept in the store (PGFERRY_LOG_RETENTION_DAYS bounds their number).
 */
export async function readStoreMetrics(db: Kysely<StoreDatabase>): Promise<StoreMetricsSnapshot> {
  const bucketColumns = sql.join(
    runDurationBuckets.map(
      (bound) => sql`count(*) FILTER (WHERE extract(epoch FROM finished_at - started_at) <= ${sql.lit(bound)})`,
    ),
  );
  const [runs, durations, jobs, backups, notifications, oldest, follows, protections] = await Promise.all([
    sql<{ kind: string; status: string; runs: string; rows: string; bytes: string }>`
      SELECT kind, status, count(*) AS runs, coalesce(sum(total_rows), 0) AS rows, coalesce(sum(total_bytes), 0) AS bytes
      FROM runs GROUP BY kind, status`.execute(db),
    sql<{ kind: string; status: string; buckets: string[]; count: string; sum: number | null }>`
      SELECT kind, status, ARRAY[${bucketColumns}]::text[] AS buckets, count(*) AS count,
             sum(extract(epoch FROM finished_at - started_at))::float8 AS sum
      FROM runs
      WHERE finished_at IS NOT NULL AND started_at IS NOT NULL
      GROUP BY kind, status`.execute(db),
    sql<{ job_type: 'sync' | 'backup'; job_id: string; job_name: string; last_success: number }>`
      SELECT 'sync' AS job_type, j.id AS job_id, j.name AS job_name,
             extract(epoch FROM max(r.finished_at))::float8 AS last_success
      FROM sync_jobs j JOIN runs r ON r.sync_job_id = j.id AND r.status = 'succeeded'
      GROUP BY j.id, j.name
      UNION ALL
      SELECT 'backup', j.id, j.name, extract(epoch FROM max(r.finished_at))::float8
      FROM backup_jobs j JOIN runs r ON r.backup_job_id = j.id AND r.status = 'succeeded' AND r.kind = 'backup'
      GROUP BY j.id, j.name`.execute(db),
    sql<{ connection_id: string; connection_name: string; age: number }>`
      SELECT c.id AS connection_id, c.name AS connection_name, extract(epoch FROM now() - max(b.created_at))::float8 AS age
      FROM connections c JOIN backups b ON b.connection_id = c.id
      WHERE b.state IN ('complete', 'verified', 'drill_passed') AND b.format <> 'globals'
      GROUP BY c.id, c.name`.execute(db),
    sql<{ channel_name: string; channel_kind: string; status: string; deliveries: string }>`
      SELECT ch.name AS channel_name, ch.kind AS channel_kind, d.status, count(*) AS deliveries
      FROM notification_deliveries d JOIN notification_channels ch ON ch.id = d.channel_id
      GROUP BY ch.name, ch.kind, d.status`.execute(db),
    sql<{ oldest: number | null }>`
      SELECT extract(epoch FROM now() - min(queued_at))::float8 AS oldest FROM runs WHERE status = 'queued'`.execute(db),
    sql<{ job_id: string; job_name: string; following: boolean; lag_bytes: number | null; lag_seconds: number | null; retained_bytes: number | null; changes_applied: number | null; age: number | null }>`
      SELECT j.id AS job_id, j.name AS job_name,
             (f.lease_worker_id IS NOT NULL AND f.lease_expires_at >= now()) AS following,
             (f.progress->>'lag_bytes')::float8 AS lag_bytes, (f.progress->>'lag_seconds')::float8 AS lag_seconds,
             (f.progress->>'retained_bytes')::float8 AS retained_bytes, (f.progress->>'changes_applied')::float8 AS changes_applied,
             extract(epoch FROM now() - f.progress_at)::float8 AS age
      FROM follow_jobs f JOIN sync_jobs j ON j.id = f.sync_job_id`.execute(db),
    sql<{ connection_id: string; connection_name: string; streaming: boolean; lag_bytes: number | null; lag_seconds: number | null; retained_bytes: number | null; age: number | null }>`
      SELECT c.id AS connection_id, c.name AS connection_name,
             (p.lease_worker_id IS NOT NULL AND p.lease_expires_at >= now()) AS streaming,
             (p.progress->>'lag_bytes')::float8 AS lag_bytes, (p.progress->>'lag_seconds')::float8 AS lag_seconds,
             (p.progress->>'retained_bytes')::float8 AS retained_bytes, extract(epoch FROM now() - p.progress_at)::float8 AS age
      FROM connection_protection p JOIN connections c ON c.id = p.connection_id
      WHERE p.slot_state = 'active'`.execute(db),
  ]);
  return {
    runs: runs.rows.map((row) => ({ kind: row.kind, status: row.status, runs: num(row.runs), rows: num(row.rows), bytes: num(row.bytes) })),
    durations: durations.rows.map((row) => ({
      kind: row.kind,
      status: row.status,
      buckets: row.buckets.map(num),
      count: num(row.count),
      sum: num(row.sum),
    })),
    jobs: jobs.rows.map((row) => ({
      jobType: row.job_type,
      jobId: row.job_id,
      jobName: row.job_name,
      lastSuccessSeconds: num(row.last_success),
    })),
    backups: backups.rows.map((row) => ({
      connectionId: row.connection_id,
      connectionName: row.connection_name,
      newestBackupAgeSeconds: num(row.age),
    })),
    notifications: notifications.rows.map((row) => ({
      channelName: row.channel_name,
      channelKind: row.channel_kind,
      status: row.status,
      deliveries: num(row.deliveries),
    })),
    follows: follows.rows.map((row) => ({
      jobId: row.job_id,
      jobName: row.job_name,
      following: row.following ? 1 : 0,
      lagBytes: row.lag_bytes,
      lagSeconds: row.lag_seconds,
      retainedBytes: row.retained_bytes,
      changesApplied: row.changes_applied,
      ageSeconds: row.age,
    })),
    protections: protections.rows.map((row) => ({
      connectionId: row.connection_id,
      connectionName: row.connection_name,
      streaming: row.streaming ? 1 : 0,
      lagBytes: row.lag_bytes,
      lagSeconds: row.lag_seconds,
      retainedBytes: row.retained_bytes,
      ageSeconds: row.age,
    })),
    oldestQueuedSeconds: oldest.rows[0]?.oldest ?? null,
  };
}
