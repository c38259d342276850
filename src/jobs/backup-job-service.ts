import type { Kysely } from 'kysely';

import { computeNextFire } from '../cron/cron-schedule.js';
import { type FieldProblem, validationError, validationErrorFromIssues } from '../errors/validation-error.js';
import { type BackupJob, type BackupJobValues, deleteBackupJobRow, getBackupJob, insertBackupJob, updateBackupJobRow } from '../store/backup-job-repository.js';
import { type StoreDb, assertNoActiveRun, missingReferences } from '../store/repository-helpers.js';
import type { StoreDatabase } from '../store/store-types.js';
import { type BackupJobInput, type BackupJobPatch, backupJobCreateSchema, backupJobUpdateSchema } from './job-input-schemas.js';

// The rules of a saved backup job: references exist, a patch is checked as the whole job it
// makes, the next tick follows the schedule. The repository only writes what this prepared.

async function checkReferences(db: StoreDb, job: BackupJobInput): Promise<void> {
  const problems: FieldProblem[] = [
    ...(await missingReferences(db, 'connections', 'connection_id', [job.connection_id])),
    ...(await missingReferences(db, 'storages', 'storage_ids', job.storage_ids)),
    ...(await missingReferences(db, 'notification_channels', 'channel_ids', job.channel_ids ?? [])),
  ];
  if (problems.length > 0) throw validationError(problems);
}

function toValues(job: BackupJobInput): BackupJobValues {
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

/** Saves a new job (the API and CLI parsed it with backupJobCreateSchema). */
export async function createBackupJob(db: Kysely<StoreDatabase>, job: BackupJobInput): Promise<BackupJob> {
  await checkReferences(db, job);
  return insertBackupJob(db, toValues(job), job.storage_ids, job.channel_ids ?? []);
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
    format: patch.format ?? current.format,
    selection: patch.selection ?? current.selection,
    compression: patch.compression ?? current.compression,
    encrypt: patch.encrypt ?? current.encrypt,
    parallelism: patch.parallelism ?? current.parallelism,
    retention: patch.retention ?? current.retention,
    verification: patch.verification ?? current.verification,
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
  // Keep the pending tick when the schedule did not change, so an edit never skips or repeats one.
  const scheduleChanged = merged.cron !== current.cron || merged.timezone !== current.timezone || merged.enabled !== current.enabled;
  return updateBackupJobRow(db, current.id, { ...values, next_fire_at: scheduleChanged ? values.next_fire_at : current.next_fire_at }, patch.storage_ids, patch.channel_ids);
}

export async function setBackupJobEnabled(db: Kysely<StoreDatabase>, idOrName: string, enabled: boolean): Promise<BackupJob> {
  return updateBackupJob(db, idOrName, { enabled });
}

/** Deletes a job; its runs and backups stay. Refused while a run is active. */
export async function deleteBackupJob(db: StoreDb, idOrName: string): Promise<void> {
  const job = await getBackupJob(db, idOrName);
  await assertNoActiveRun(db, 'backup', job);
  await deleteBackupJobRow(db, job.id);
}
