import { type Kysely, sql } from 'kysely';

import type { StoreDatabase } from '../store/store-types.js';

export interface DashboardSummary {
  generated_at: string;
  days: number;
  runs_per_day: { day: string; succeeded: number; incomplete: number; failed: number; cancelled: number }[];
  totals: { runs: number; succeeded: number; incomplete: number; failed: number; success_rate: number | null; rows: number; bytes: number };
  running: number;
  queued: number;
  last_backup_per_connection: { connection_id: string; connection: string; newest_backup_at: string; age_s: number }[];
  storage_used: { storage_id: string; storage: string; bytes: number; backups: number }[];
  /** Continuous protection: the worst recovery point objective over the protected connections. */
  protection: { protected: number; streaming: number; worst_rpo_s: number | null; worst_connection_id: string | null; worst_connection: string | null };
}

const num = (value: unknown): number => (value === null || value === undefined ? 0 : Number(value));

/**
 * The dashboard's aggregates in four queries over indexed columns: runs per UTC day and
 * status for the last `days` days, totals, what runs now, the newest usable backup of each
 * connection and the bytes each storage holds (unexpired backups).
 */
export async function readDashboardSummary(db: Kysely<StoreDatabase>, days: number): Promise<DashboardSummary> {
  const since = sql`date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' - make_interval(days => ${days - 1})`;
  const [perDay, active, backups, storages, clock, protections] = await Promise.all([
    sql<{ day: string; status: string; runs: string; rows: string; bytes: string }>`
      SELECT to_char(finished_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, status, count(*) AS runs,
             coalesce(sum(total_rows), 0) AS rows, coalesce(sum(total_bytes), 0) AS bytes
      FROM runs WHERE finished_at >= ${since} GROUP BY 1, 2 ORDER BY 1`.execute(db),
    sql<{ status: string; runs: string }>`
      SELECT status, count(*) AS runs FROM runs WHERE status IN ('queued', 'running') GROUP BY status`.execute(db),
    sql<{ connection_id: string; connection: string; newest: Date; age_s: number }>`
      SELECT c.id AS connection_id, c.name AS connection, max(b.created_at) AS newest,
             extract(epoch FROM now() - max(b.created_at))::float8 AS age_s
      FROM connections c JOIN backups b ON b.connection_id = c.id
      WHERE b.state IN ('complete', 'verified', 'drill_passed') AND b.format <> 'globals'
      GROUP BY c.id, c.name ORDER BY age_s DESC`.execute(db),
    sql<{ storage_id: string; storage: string; bytes: string; backups: string }>`
      SELECT s.id AS storage_id, s.name AS storage, coalesce(sum(b.size_bytes), 0) AS bytes, count(b.id) AS backups
      FROM storages s LEFT JOIN backups b ON b.storage_id = s.id AND b.state <> 'expired'
      GROUP BY s.id, s.name ORDER BY s.name`.execute(db),
    sql<{ now: Date }>`SELECT now() AS now`.execute(db),
    // A connection nobody streams loses ground every second since its last figures.
    sql<{ connection_id: string; connection: string; streaming: boolean; rpo_s: number | null }>`
      SELECT c.id AS connection_id, c.name AS connection, s.streaming,
             (p.progress->>'lag_seconds')::float8 + CASE WHEN s.streaming THEN 0 ELSE extract(epoch FROM now() - p.progress_at)::float8 END AS rpo_s
      FROM connection_protection p JOIN connections c ON c.id = p.connection_id,
           LATERAL (SELECT p.lease_worker_id IS NOT NULL AND p.lease_expires_at >= now() AS streaming) s
      WHERE p.slot_state = 'active'
      ORDER BY rpo_s DESC NULLS LAST`.execute(db),
  ]);

  const byDay = new Map<string, DashboardSummary['runs_per_day'][number]>();
  const now = clock.rows[0]?.now ?? new Date();
  for (let offset = days - 1; offset >= 0; offset -= 1) {
    const day = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - offset)).toISOString().slice(0, 10);
    byDay.set(day, { day, succeeded: 0, incomplete: 0, failed: 0, cancelled: 0 });
  }
  const totals = { runs: 0, succeeded: 0, incomplete: 0, failed: 0, success_rate: null as number | null, rows: 0, bytes: 0 };
  for (const row of perDay.rows) {
    const entry = byDay.get(row.day);
    const count = num(row.runs);
    const status = row.status;
    if (entry && (status === 'succeeded' || status === 'incomplete' || status === 'failed' || status === 'cancelled')) entry[status] += count;
    totals.runs += count;
    if (status === 'succeeded' || status === 'incomplete' || status === 'failed') totals[status] += count;
    totals.rows += num(row.rows);
    totals.bytes += num(row.bytes);
  }
  // An incomplete run is not a success: it counts against the rate like a failure.
  const decided = totals.succeeded + totals.incomplete + totals.failed;
  totals.success_rate = decided === 0 ? null : totals.succeeded / decided;
  const worst = protections.rows[0];
  const activeCount = (status: string) => num(active.rows.find((row) => row.status === status)?.runs);

  return {
    generated_at: now.toISOString(),
    days,
    runs_per_day: [...byDay.values()],
    totals,
    running: activeCount('running'),
    queued: activeCount('queued'),
    last_backup_per_connection: backups.rows.map((row) => ({
      connection_id: row.connection_id,
      connection: row.connection,
      newest_backup_at: new Date(row.newest).toISOString(),
      age_s: Math.round(num(row.age_s)),
    })),
    storage_used: storages.rows.map((row) => ({ storage_id: row.storage_id, storage: row.storage, bytes: num(row.bytes), backups: num(row.backups) })),
    protection: {
      protected: protections.rows.length,
      streaming: protections.rows.filter((row) => row.streaming).length,
      worst_rpo_s: worst?.rpo_s === null || worst?.rpo_s === undefined ? null : Math.round(worst.rpo_s * 10) / 10,
      worst_connection_id: worst?.rpo_s === null || worst === undefined ? null : worst.connection_id,
      worst_connection: worst?.rpo_s === null || worst === undefined ? null : worst.connection,
    },
  };
}
