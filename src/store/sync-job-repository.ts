import { type Insertable, type Kysely, type Selectable, sql } from 'kysely';

import { PgferryError } from '../errors/pgferry-error.js';
import { type StoreDb, notFound, translateNameConflict } from './repository-helpers.js';
import { uuidPattern } from './uuid.js';
import { containsPattern } from './like-pattern.js';
import type { StoreDatabase, SyncJobKind, SyncJobsTable } from './store-types.js';

export type SyncJobRow = Selectable<StoreDatabase['sync_jobs']>;
export interface SyncJob extends SyncJobRow {
  channel_ids: string[];
}

/** A job's columns as the service prepared them (checked, defaults filled, next tick computed). */
export type SyncJobValues = Omit<Insertable<SyncJobsTable>, 'id' | 'created_at' | 'updated_at' | 'skipped_ticks' | 'last_skipped_tick_at'>;

async function setChannels(db: StoreDb, jobId: string, channelIds: string[]): Promise<void> {
  await db.deleteFrom('sync_job_channels').where('sync_job_id', '=', jobId).execute();
  if (channelIds.length > 0) {
    await db
      .insertInto('sync_job_channels')
      .values([...new Set(channelIds)].map((channel_id) => ({ sync_job_id: jobId, channel_id })))
      .execute();
  }
}

async function withChannels(db: StoreDb, rows: SyncJobRow[]): Promise<SyncJob[]> {
  if (rows.length === 0) return [];
  const links = await db
    .selectFrom('sync_job_channels')
    .select(['sync_job_id', 'channel_id'])
    .where('sync_job_id', 'in', rows.map((row) => row.id))
    .execute();
  return rows.map((row) => ({ ...row, channel_ids: links.filter((link) => link.sync_job_id === row.id).map((link) => link.channel_id) }));
}

/** Work done in the job's own transaction (a continuous-sync job's follower row). */
export type SyncJobExtra = (tx: StoreDb, jobId: string) => Promise<void>;

export async function insertSyncJob(db: Kysely<StoreDatabase>, values: SyncJobValues, channelIds: string[], extra?: SyncJobExtra): Promise<SyncJob> {
  try {
    const row = await db.transaction().execute(async (tx) => {
      const inserted = await tx.insertInto('sync_jobs').values(values).returningAll().executeTakeFirstOrThrow();
      await setChannels(tx, inserted.id, channelIds);
      await extra?.(tx, inserted.id);
      return inserted;
    });
    return (await withChannels(db, [row]))[0] as SyncJob;
  } catch (error) {
    throw translateNameConflict(error, 'sync job', values.name);
  }
}

export async function findSyncJob(db: StoreDb, idOrName: string): Promise<SyncJob | undefined> {
  const row = await db
    .selectFrom('sync_jobs')
    .selectAll()
    .where((eb) => (uuidPattern.test(idOrName) ? eb('id', '=', idOrName) : eb(sql`lower(name)`, '=', idOrName.toLowerCase())))
    .executeTakeFirst();
  return row ? (await withChannels(db, [row]))[0] : undefined;
}

export async function getSyncJob(db: StoreDb, idOrName: string): Promise<SyncJob> {
  const job = await findSyncJob(db, idOrName);
  if (!job) throw notFound('sync job', idOrName);
  return job;
}

/** A batch sync job; a continuous-sync job is not one (it lives under /follow-jobs and `pgferry replication`). */
export async function getBatchSyncJob(db: StoreDb, idOrName: string): Promise<SyncJob> {
  const job = await getSyncJob(db, idOrName);
  if (job.kind === 'follow') {
    throw new PgferryError('PGF_NOT_FOUND', `"${idOrName}" is a continuous-sync job, not a batch sync job; see it with \`pgferry replication show ${job.name}\` or GET /api/v1/follow-jobs/${job.id}`);
  }
  return job;
}

/** Batch-sync operations (run now, edit, delete) refuse a continuous-sync job: it has its own. */
export function assertBatchSyncJob(job: SyncJob, action: string): void {
  if (job.kind === 'follow') {
    throw new PgferryError('PGF_CONFLICT', `sync job "${job.name}" is a continuous sync and cannot be ${action} as a batch sync; use \`pgferry replication …\` or /api/v1/follow-jobs/${job.id}`);
  }
}

export interface ListJobsQuery {
  page: number;
  page_size: number;
  q?: string | undefined;
  enabled?: boolean | undefined;
  sort?: 'name' | 'created_at' | 'next_fire_at' | undefined;
  /** (default: sync; continuous-sync jobs are listed apart) */
  kind?: SyncJobKind | undefined;
}

export async function listSyncJobs(db: StoreDb, query: ListJobsQuery): Promise<{ items: SyncJob[]; total: number }> {
  let base = db.selectFrom('sync_jobs').where('kind', '=', query.kind ?? 'sync');
  if (query.q) base = base.where('name', 'ilike', containsPattern(query.q));
  if (query.enabled !== undefined) base = base.where('enabled', '=', query.enabled);
  const total = Number((await base.select((eb) => eb.fn.countAll().as('count')).executeTakeFirstOrThrow()).count);
  const rows = await base
    .selectAll()
    .orderBy(query.sort ?? 'name')
    .orderBy('id')
    .limit(query.page_size)
    .offset((query.page - 1) * query.page_size)
    .execute();
  return { items: await withChannels(db, rows), total };
}

/** Writes a job's columns, and its channels when given; a name taken by another job is a 409. */
export async function updateSyncJobRow(db: Kysely<StoreDatabase>, id: string, values: SyncJobValues, channelIds: string[] | undefined, extra?: SyncJobExtra): Promise<SyncJob> {
  try {
    await db.transaction().execute(async (tx) => {
      await tx.updateTable('sync_jobs').set({ ...values, updated_at: new Date() }).where('id', '=', id).execute();
      if (channelIds) await setChannels(tx, id, channelIds);
      await extra?.(tx, id);
    });
  } catch (error) {
    throw translateNameConflict(error, 'sync job', values.name);
  }
  return getSyncJob(db, id);
}

export async function deleteSyncJobRow(db: StoreDb, id: string): Promise<void> {
  await db.deleteFrom('sync_jobs').where('id', '=', id).execute();
}
