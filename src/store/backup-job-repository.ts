import { type Kysely, type Selectable, sql } from 'kysely';

import { type BackupJobInput, type BackupJobPatch, backupJobCreateSchema, backupJobUpdateSchema } from '../jobs/job-input-schemas.js';
import {
  assertNoActiveRun,
  validationErrorFromIssues,
  type FieldProblem,
  type StoreDb,
  computeNextFire,
  missingReferences,
  notFound,
  translateNameConflict,
  uuidPattern,
  validationError,
} from '../jobs/job-store-helpers.js';
import { containsPattern } from './like-pattern.js';
import type { StoreDatabase } from './store-types.js';
import type { ListJobsQuery } from './sync-job-repository.js';

export type BackupJobRow = Selectable<StoreDatabase['backup_jobs']>;
export interface BackupJob extends BackupJobRow {
  storage_ids: string[];
  channel_ids: string[];
}

async function checkReferences(db: StoreDb, job: BackupJobInput): Promise<void> {
  const problems: FieldProblem[] = [
    ...(await missingReferences(db, 'connections', 'connection_id', [job.connection_id])),
    ...(await missingReferences(db, 'storages', 'storage_ids', job.storage_ids)),
    ...(await missingReferences(db, 'notification_channels', 'channel_ids', job.channel_ids ?? [])),
  ];
  if (problems.length > 0) throw validationError(problems);
}

function toValues(job: BackupJobInput) {
  const enabled = job.enabled ?? true;
  const timezone = job.timezone ?? 'UTC';
  const cron = job.cron ?? null;
  return {
    name: job.name,
    description: job.description ?? null,
    connection_id: job.connection_id,
    all_databases: job.all_databases ?? false,
    include_globals: job.include_globals ?? false,
    format: job.format ?? 'native',
    selection: JSON.stringify(job.selection ?? {}),
    compression: job.compression ?? 'gzip',
    encrypt: job.encrypt ?? false,
    parallelism: job.parallelism ?? 2,
    retention: JSON.stringify(job.retention ?? {}),
    verification: JSON.stringify(job.verification ?? {}),
    cron,
    timezone,
    enabled,
    retry_max: job.retry_max ?? 0,
    retry_backoff_s: job.retry_backoff_s ?? 60,
    timeout_s: job.timeout_s ?? null,
    next_fire_at: computeNextFire({ cron, timezone, enabled }),
  };
}

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

export async function createBackupJob(db: Kysely<StoreDatabase>, job: BackupJobInput): Promise<BackupJob> {
  await checkReferences(db, job);
  try {
    const row = await db.transaction().execute(async (tx) => {
      const inserted = await tx.insertInto('backup_jobs').values(toValues(job)).returningAll().executeTakeFirstOrThrow();
      await setLinks(tx, inserted.id, job.storage_ids, job.channel_ids ?? []);
      return inserted;
    });
    return (await withLinks(db, [row]))[0] as BackupJob;
  } catch (error) {
    throw translateNameConflict(error, 'backup job', job.name);
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

export async function updateBackupJob(db: Kysely<StoreDatabase>, idOrName: string, patch: BackupJobPatch): Promise<BackupJob> {
  const parsedPatch = backupJobUpdateSchema.safeParse(patch);
  if (!parsedPatch.success) throw validationErrorFromIssues(parsedPatch.error.issues);
  const current = await getBackupJob(db, idOrName);
  const merged: BackupJobInput = {
    name: patch.name ?? current.name,
    description: patch.description !== undefined ? patch.description : current.description,
    connection_id: patch.connection_id ?? current.connection_id,
    storage_ids: patch.storage_ids ?? current.storage_ids,
    all_databases: patch.all_databases ?? current.all_databases,
    include_globals: patch.include_globals ?? current.include_globals,
    format: patch.format ?? (current.format as BackupJobInput['format']),
    selection: patch.selection ?? (current.selection as BackupJobInput['selection']),
    compression: patch.compression ?? (current.compression as BackupJobInput['compression']),
    encrypt: patch.encrypt ?? current.encrypt,
    parallelism: patch.parallelism ?? current.parallelism,
    retention: patch.retention ?? (current.retention as BackupJobInput['retention']),
    verification: patch.verification ?? (current.verification as BackupJobInput['verification']),
    cron: patch.cron !== undefined ? patch.cron : current.cron,
    timezone: patch.timezone ?? current.timezone,
    enabled: patch.enabled ?? current.enabled,
    retry_max: patch.retry_max ?? current.retry_max,
    retry_backoff_s: patch.retry_backoff_s ?? current.retry_backoff_s,
    timeout_s: patch.timeout_s !== undefined ? patch.timeout_s : current.timeout_s,
    channel_ids: patch.channel_ids ?? current.channel_ids,
  };
  const checked = backupJobCreateSchema.safeParse(merged);
  if (!checked.success) throw validationErrorFromIssues(checked.error.issues);
  await checkReferences(db, merged);
  const values = toValues(merged);
  const scheduleChanged = merged.cron !== current.cron || merged.timezone !== current.timezone || merged.enabled !== current.enabled;
  try {
    await db.transaction().execute(async (tx) => {
      await tx
        .updateTable('backup_jobs')
        .set({ ...values, next_fire_at: scheduleChanged ? values.next_fire_at : current.next_fire_at, updated_at: new Date() })
        .where('id', '=', current.id)
        .execute();
      await setLinks(tx, current.id, patch.storage_ids, patch.channel_ids);
    });
  } catch (error) {
    throw translateNameConflict(error, 'backup job', merged.name);
  }
  return getBackupJob(db, current.id);
}

export async function setBackupJobEnabled(db: Kysely<StoreDatabase>, idOrName: string, enabled: boolean): Promise<BackupJob> {
  return updateBackupJob(db, idOrName, { enabled });
}

export async function deleteBackupJob(db: StoreDb, idOrName: string): Promise<void> {
  const job = await getBackupJob(db, idOrName);
  await assertNoActiveRun(db, 'backup', job);
  await db.deleteFrom('backup_jobs').where('id', '=', job.id).execute();
}
