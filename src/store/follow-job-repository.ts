import { type Selectable, sql } from 'kysely';

import { PgferryError } from '../errors/pgferry-error.js';
import type { StoreDb } from './repository-helpers.js';
import type { StoreDatabase } from './store-types.js';
import { type SyncJob, findSyncJob } from './sync-job-repository.js';

export type FollowStateRow = Selectable<StoreDatabase['follow_jobs']>;

/** A continuous-sync job: its definition (a sync job of kind `follow`) and its follower's state. */
export interface FollowJob extends SyncJob {
  follow: FollowStateRow;
}

export interface FollowThresholds {
  retained_bytes_alert: number | null;
  lag_seconds_alert: number | null;
}

export async function insertFollowState(db: StoreDb, jobId: string, thresholds: FollowThresholds): Promise<void> {
  await db.insertInto('follow_jobs').values({ sync_job_id: jobId, ...thresholds }).execute();
}

export async function updateFollowThresholds(db: StoreDb, jobId: string, thresholds: Partial<FollowThresholds>): Promise<void> {
  if (Object.keys(thresholds).length === 0) return;
  await db.updateTable('follow_jobs').set({ ...thresholds, updated_at: new Date() }).where('sync_job_id', '=', jobId).execute();
}

export async function findFollowJob(db: StoreDb, idOrName: string): Promise<FollowJob | undefined> {
  const job = await findSyncJob(db, idOrName);
  if (!job || job.kind !== 'follow') return undefined;
  const follow = await db.selectFrom('follow_jobs').selectAll().where('sync_job_id', '=', job.id).executeTakeFirst();
  return follow ? { ...job, follow } : undefined;
}

export async function getFollowJob(db: StoreDb, idOrName: string): Promise<FollowJob> {
  const job = await findFollowJob(db, idOrName);
  if (!job) {
    throw new PgferryError('PGF_NOT_FOUND', `no continuous-sync job with id or name "${idOrName}"; list them with \`pgferry replication list\` or GET /api/v1/follow-jobs`);
  }
  return job;
}

export async function followStates(db: StoreDb, jobIds: string[]): Promise<Map<string, FollowStateRow>> {
  if (jobIds.length === 0) return new Map();
  const rows = await db.selectFrom('follow_jobs').selectAll().where('sync_job_id', 'in', jobIds).execute();
  return new Map(rows.map((row) => [row.sync_job_id, row]));
}

export async function setFollowPaused(db: StoreDb, jobId: string, paused: boolean, reason: string | null): Promise<void> {
  await db
    .updateTable('follow_jobs')
    .set({ paused, paused_reason: paused ? reason : null, updated_at: new Date() })
    .where('sync_job_id', '=', jobId)
    .execute();
}

/**
 * Takes the lease of up to `limit` followers nobody holds (or whose holder stopped renewing):
 * SKIP LOCKED, so two workers never take the same job, and the lease is the only lock.
 */
export async function claimFollowLeases(db: StoreDb, workerId: string, limit: number, leaseMs: number): Promise<string[]> {
  if (limit <= 0) return [];
  const claimed = await sql<{ sync_job_id: string }>`
    UPDATE follow_jobs
    SET lease_worker_id = ${workerId}, lease_expires_at = now() + make_interval(secs => ${leaseMs / 1000})
    WHERE sync_job_id IN (
      SELECT follow.sync_job_id FROM follow_jobs follow
      JOIN sync_jobs job ON job.id = follow.sync_job_id
      WHERE NOT follow.paused AND job.enabled
        AND (follow.lease_expires_at IS NULL OR follow.lease_expires_at < now())
      ORDER BY follow.lease_expires_at NULLS FIRST
      FOR UPDATE OF follow SKIP LOCKED
      LIMIT ${limit}
    )
    RETURNING sync_job_id`.execute(db);
  return claimed.rows.map((row) => row.sync_job_id);
}

/**
 * Extends the leases this worker still holds on jobs still to be followed; the ids not
 * answered were paused, disabled, dropped or taken over, and their followers must stop.
 */
export async function renewFollowLeases(db: StoreDb, workerId: string, jobIds: string[], leaseMs: number): Promise<Set<string>> {
  if (jobIds.length === 0) return new Set();
  const renewed = await sql<{ sync_job_id: string }>`
    UPDATE follow_jobs follow
    SET lease_expires_at = now() + make_interval(secs => ${leaseMs / 1000})
    FROM sync_jobs job
    WHERE job.id = follow.sync_job_id AND follow.sync_job_id = ANY(${jobIds}::uuid[])
      AND follow.lease_worker_id = ${workerId} AND follow.lease_expires_at >= now()
      AND NOT follow.paused AND job.enabled
    RETURNING follow.sync_job_id`.execute(db);
  return new Set(renewed.rows.map((row) => row.sync_job_id));
}

/**
 * Gives the lease up (the follower stopped here), unless another worker holds it by now;
 * `delayMs` keeps anyone from taking it again for that long (after a failure).
 */
export async function releaseFollowLease(db: StoreDb, workerId: string, jobId: string, delayMs = 0): Promise<void> {
  await db
    .updateTable('follow_jobs')
    .set({ lease_worker_id: null, lease_expires_at: delayMs > 0 ? sql<Date>`now() + make_interval(secs => ${delayMs / 1000})` : null })
    .where('sync_job_id', '=', jobId)
    .where('lease_worker_id', '=', workerId)
    .execute();
}

/** Stores the latest progress, only while this worker holds the lease (a stale follower writes nothing). */
export async function saveFollowProgress(db: StoreDb, workerId: string, jobId: string, progress: Record<string, unknown>): Promise<void> {
  await db
    .updateTable('follow_jobs')
    .set({ progress: JSON.stringify(progress), progress_at: new Date() })
    .where('sync_job_id', '=', jobId)
    .where('lease_worker_id', '=', workerId)
    .execute();
}

export async function recordFollowError(db: StoreDb, jobId: string, code: string | null, message: string | null): Promise<void> {
  await db
    .updateTable('follow_jobs')
    .set({ last_error_code: code, last_error_message: message === null ? null : message.slice(0, 4000), last_error_at: code === null ? null : new Date() })
    .where('sync_job_id', '=', jobId)
    .execute();
}

export async function saveCutoverReport(db: StoreDb, jobId: string, report: Record<string, unknown>): Promise<void> {
  await db.updateTable('follow_jobs').set({ last_cutover: JSON.stringify(report), updated_at: new Date() }).where('sync_job_id', '=', jobId).execute();
}

/** Which worker holds the lease now (null when nobody follows the job). */
export async function followLeaseHolder(db: StoreDb, jobId: string): Promise<string | null> {
  const row = await db
    .selectFrom('follow_jobs')
    .select(['lease_worker_id'])
    .where('sync_job_id', '=', jobId)
    .where('lease_expires_at', '>=', sql<Date>`now()`)
    .executeTakeFirst();
  return row?.lease_worker_id ?? null;
}
