import { type Kysely, type Selectable, sql } from 'kysely';


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
import { type SyncJobInput, type SyncJobPatch, syncJobCreateSchema, syncJobUpdateSchema } from '../jobs/job-input-schemas.js';
import { containsPattern } from './like-pattern.js';
import type { StoreDatabase } from './store-types.js';

export type SyncJobRow = Selectable<StoreDatabase['sync_jobs']>;
export interface SyncJob extends SyncJobRow {
  channel_ids: string[];
}

const destructiveModes = new Set(['full', 'mirror']);

async function checkReferences(db: StoreDb, job: SyncJobInput): Promise<void> {
  const problems: FieldProblem[] = [
    ...(await missingReferences(db, 'connections', 'source_connection_id', [job.source_connection_id])),
    ...(await missingReferences(db, 'connections', 'destination_connection_id', [job.destination_connection_id])),
    ...(await missingReferences(db, 'notification_channels', 'channel_ids', job.channel_ids ?? [])),
  ];
  if (problems.length === 0) {
    const destination = await db
      .selectFrom('connections')
      .select(['name', 'protected'])
      .where('id', '=', job.destination_connection_id)
      .executeTakeFirst();
    const modes = [job.default_mode ?? 'full', ...Object.values(job.table_options ?? {}).map((option) => option.mode)];
    if (destination?.protected && modes.some((mode) => mode !== undefined && destructiveModes.has(mode))) {
      problems.push({
        field: 'destination_connection_id',
        message: `connection "${destination.name}" is protected (production) and modes full/mirror would overwrite it; use append, upsert or incremental, or choose another destination`,
      });
    }
  }
  if (problems.length > 0) throw validationError(problems);
}

function toValues(job: SyncJobInput) {
  const enabled = job.enabled ?? true;
  const timezone = job.timezone ?? 'UTC';
  const cron = job.cron ?? null;
  return {
    name: job.name,
    description: job.description ?? null,
    source_connection_id: job.source_connection_id,
    destination_connection_id: job.destination_connection_id,
    selection: JSON.stringify(job.selection ?? {}),
    table_options: JSON.stringify(job.table_options ?? {}),
    default_mode: job.default_mode ?? 'full',
    schema_policy: job.schema_policy ?? 'create-missing',
    parallelism: job.parallelism ?? 2,
    split_rows: job.split_rows ?? null,
    verify: job.verify ?? false,
    copy_owners: job.copy_owners ?? false,
    copy_grants: job.copy_grants ?? false,
    cron,
    timezone,
    enabled,
    retry_max: job.retry_max ?? 0,
    retry_backoff_s: job.retry_backoff_s ?? 60,
    timeout_s: job.timeout_s ?? null,
    next_fire_at: computeNextFire({ cron, timezone, enabled }),
  };
}

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

export async function createSyncJob(db: Kysely<StoreDatabase>, job: SyncJobInput): Promise<SyncJob> {
  await checkReferences(db, job);
  try {
    const row = await db.transaction().execute(async (tx) => {
      const inserted = await tx.insertInto('sync_jobs').values(toValues(job)).returningAll().executeTakeFirstOrThrow();
      await setChannels(tx, inserted.id, job.channel_ids ?? []);
      return inserted;
    });
    return (await withChannels(db, [row]))[0] as SyncJob;
  } catch (error) {
    throw translateNameConflict(error, 'sync job', job.name);
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

export interface ListJobsQuery {
  page: number;
  page_size: number;
  q?: string | undefined;
  enabled?: boolean | undefined;
  sort?: 'name' | 'created_at' | 'next_fire_at' | undefined;
}

export async function listSyncJobs(db: StoreDb, query: ListJobsQuery): Promise<{ items: SyncJob[]; total: number }> {
  let base = db.selectFrom('sync_jobs');
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

function mergeForCheck(current: SyncJob, patch: SyncJobPatch): SyncJobInput {
  const parsed = syncJobUpdateSchema.safeParse(patch);
  if (!parsed.success) throw validationError(parsed.error.issues.map((issue) => ({ field: issue.path.map(String).join('.'), message: issue.message })));
  return {
    name: patch.name ?? current.name,
    description: patch.description !== undefined ? patch.description : current.description,
    source_connection_id: patch.source_connection_id ?? current.source_connection_id,
    destination_connection_id: patch.destination_connection_id ?? current.destination_connection_id,
    selection: patch.selection ?? (current.selection as SyncJobInput['selection']),
    table_options: patch.table_options ?? (current.table_options as SyncJobInput['table_options']),
    default_mode: patch.default_mode ?? (current.default_mode as SyncJobInput['default_mode']),
    schema_policy: patch.schema_policy ?? (current.schema_policy as SyncJobInput['schema_policy']),
    parallelism: patch.parallelism ?? current.parallelism,
    split_rows: patch.split_rows !== undefined ? patch.split_rows : current.split_rows === null ? null : Number(current.split_rows),
    verify: patch.verify ?? current.verify,
    copy_owners: patch.copy_owners ?? current.copy_owners,
    copy_grants: patch.copy_grants ?? current.copy_grants,
    cron: patch.cron !== undefined ? patch.cron : current.cron,
    timezone: patch.timezone ?? current.timezone,
    enabled: patch.enabled ?? current.enabled,
    retry_max: patch.retry_max ?? current.retry_max,
    retry_backoff_s: patch.retry_backoff_s ?? current.retry_backoff_s,
    timeout_s: patch.timeout_s !== undefined ? patch.timeout_s : current.timeout_s,
    channel_ids: patch.channel_ids ?? current.channel_ids,
  };
}

export async function updateSyncJob(db: Kysely<StoreDatabase>, idOrName: string, patch: SyncJobPatch): Promise<SyncJob> {
  const current = await getSyncJob(db, idOrName);
  const merged = mergeForCheck(current, patch);
  const checked = syncJobCreateSchema.safeParse(merged);
  if (!checked.success) throw validationErrorFromIssues(checked.error.issues);
  await checkReferences(db, merged);
  const values = toValues(merged);
  // Keep the pending tick when the schedule did not change, so an edit never skips or repeats one.
  const scheduleChanged = merged.cron !== current.cron || merged.timezone !== current.timezone || merged.enabled !== current.enabled;
  try {
    await db.transaction().execute(async (tx) => {
      await tx
        .updateTable('sync_jobs')
        .set({ ...values, next_fire_at: scheduleChanged ? values.next_fire_at : current.next_fire_at, updated_at: new Date() })
        .where('id', '=', current.id)
        .execute();
      if (patch.channel_ids) await setChannels(tx, current.id, patch.channel_ids);
    });
  } catch (error) {
    throw translateNameConflict(error, 'sync job', merged.name);
  }
  return getSyncJob(db, current.id);
}

export async function setSyncJobEnabled(db: Kysely<StoreDatabase>, idOrName: string, enabled: boolean): Promise<SyncJob> {
  return updateSyncJob(db, idOrName, { enabled });
}

/** Deletes a job; its runs stay (job_name keeps the name). Refused while a run is active. */
export async function deleteSyncJob(db: StoreDb, idOrName: string): Promise<void> {
  const job = await getSyncJob(db, idOrName);
  await assertNoActiveRun(db, 'sync', job);
  await db.deleteFrom('sync_jobs').where('id', '=', job.id).execute();
}
