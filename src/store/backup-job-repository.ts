import { type Insertable, type Kysely, type Selectable, sql } from 'kysely';

import { type StoreDb, notFound, translateNameConflict } from './repository-helpers.js';
import { uuidPattern } from './uuid.js';
import { containsPattern } from './like-pattern.js';
import type { BackupJobsTable, StoreDatabase } from './store-types.js';
import type { ListJobsQuery } from './sync-job-repository.js';

export type BackupJobRow = Selectable<StoreDatabase['backup_jobs']>;
export interface BackupJob extends BackupJobRow {
  storage_ids: string[];
  channel_ids: string[];
}

/** A job's columns as the service prepared them (checked, defaults filled, next tick computed). */
export type BackupJobValues = Omit<Insertable<BackupJobsTable>, 'id' | 'created_at' | 'updated_at' | 'skipped_ticks' | 'last_skipped_tick_at'>;

async function setLinks(db: StoreDb, jobId: string, storageIds: string[] | undefined, channelIds: string[] | undefined): Promise<void> {
  if (storageIds) {
    await db.deleteFrom('backup_job_storages').where('backup_job_id', '=', jobId).execute();
    await db
      .insertInto('backup_job_storages')
      .values([...new Set(storageIds)].map((storage_id, position) => ({ backup_job_id: jobId, storage_id, position })))
      .execute();
  }
  if (channelIds) {
    await db.deleteFrom('backup_job_channels').where('backup_job_id', '=', jobId).execute();
    if (channelIds.length > 0) {
      await db
        .insertInto('backup_job_channels')
        .values([...new Set(channelIds)].map((channel_id) => ({ backup_job_id: jobId, channel_id })))
        .execute();
    }
  }
}

async function withLinks(db: StoreDb, rows: BackupJobRow[]): Promise<BackupJob[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((row) => row.id);
  const storages = await db
    .selectFrom('backup_job_storages')
    .select(['backup_job_id', 'storage_id'])
    .where('backup_job_id', 'in', ids)
    .orderBy('position')
    .execute();
  const channels = await db.selectFrom('backup_job_channels').select(['backup_job_id', 'channel_id']).where('backup_job_id', 'in', ids).execute();
  return rows.map((row) => ({
    ...row,
    storage_ids: storages.filter((link) => link.backup_job_id === row.id).map((link) => link.storage_id),
    channel_ids: channels.filter((link) => link.backup_job_id === row.id).map((link) => link.channel_id),
  }));
}

export async function insertBackupJob(db: Kysely<StoreDatabase>, values: BackupJobValues, storageIds: string[], channelIds: string[]): Promise<BackupJob> {
  try {
    const row = await db.transaction().execute(async (tx) => {
      const inserted = await tx.insertInto('backup_jobs').values(values).returningAll().executeTakeFirstOrThrow();
      await setLinks(tx, inserted.id, storageIds, channelIds);
      return inserted;
    });
    return (await withLinks(db, [row]))[0] as BackupJob;
  } catch (error) {
    throw translateNameConflict(error, 'backup job', values.name);
  }
}

export async function findBackupJob(db: StoreDb, idOrName: string): Promise<BackupJob | undefined> {
  const row = await db
    .selectFrom('backup_jobs')
    .selectAll()
    .where((eb) => (uuidPattern.test(idOrName) ? eb('id', '=', idOrName) : eb(sql`lower(name)`, '=', idOrName.toLowerCase())))
    .executeTakeFirst();
  return row ? (await withLinks(db, [row]))[0] : undefined;
}

export async function getBackupJob(db: StoreDb, idOrName: string): Promise<BackupJob> {
  const job = await findBackupJob(db, idOrName);
  if (!job) throw notFound('backup job', idOrName);
  return job;
}

export async function listBackupJobs(db: StoreDb, query: ListJobsQuery): Promise<{ items: BackupJob[]; total: number }> {
  let base = db.selectFrom('backup_jobs');
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
  return { items: await withLinks(db, rows), total };
}

/** Writes a job's columns, and its storages and channels when given; a taken name is a 409. */
export async function updateBackupJobRow(db: Kysely<StoreDatabase>, id: string, values: BackupJobValues, storageIds: string[] | undefined, channelIds: string[] | undefined): Promise<BackupJob> {
  try {
    await db.transaction().execute(async (tx) => {
      await tx.updateTable('backup_jobs').set({ ...values, updated_at: new Date() }).where('id', '=', id).execute();
      await setLinks(tx, id, storageIds, channelIds);
    });
  } catch (error) {
    throw translateNameConflict(error, 'backup job', values.name);
  }
  return getBackupJob(db, id);
}

export async function deleteBackupJobRow(db: StoreDb, id: string): Promise<void> {
  await db.deleteFrom('backup_jobs').where('id', '=', id).execute();
}
