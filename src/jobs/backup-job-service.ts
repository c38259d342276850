import type { Kysely } from 'kysely';

import { type FieldProblem, validationError, validationErrorFromIssues } from '../errors/validation-error.js';
import { type BackupJob, type BackupJobValues, deleteBackupJobRow, getBackupJob, insertBackupJob, updateBackupJobRow } from '../store/backup-job-repository.js';
import { type StoreDb, assertNoActiveRun, missingReferences } from '../store/repository-helpers.js';
import type { StoreDatabase } from '../store/store-types.js';
import { type BackupJobInput, type BackupJobPatch, backupJobCreateSchema, backupJobUpdateSchema } from './job-input-schemas.js';
import { mergedSchedule, nextFireOnEdit, scheduleValues } from './job-schedule-fields.js';

// The rules of a saved backup job: references exist, a patch is checked as the whole job it
// makes, the next tick follows the schedule. The repository only writes what this prepared.

async function checkReferences(db: StoreDb, job: BackupJobInput): Promise<void> {
  const problems: FieldProblem[] = [
    ...(await missingReferences(db, 'connections', 'connection_id', [job.connection_id])),
    ...(await missingReferences(db, 'storages', 'storage_ids', job.storage_ids)),
    ...(await missingReferences(db, 'notification_channels', 'channel_ids', job.channel_ids ?? [])),
    ...physicalProblems(job),
  ];
  if (problems.length > 0) throw validationError(problems);
}

/**
 * A physical backup is the whole cluster: options that pick databases or tables, or the
 * database-restore drill, do not apply to it (refused, not ignored). Drills of physical
 * backups belong to the connection's continuous protection.
 */
function physicalProblems(job: BackupJobInput): FieldProblem[] {
  if (job.format !== 'physical') {
    const set = job.incremental_full_every !== undefined && job.incremental_full_every !== null;
    return set ? [{ field: 'incremental_full_every', message: 'incremental backups are physical base backups (PostgreSQL 17+); remove it, or use format physical' }] : [];
  }
  const problems: FieldProblem[] = [];
  const whole = 'a physical backup copies the whole cluster; remove it, or use format native';
  if (job.all_databases) problems.push({ field: 'all_databases', message: whole });
  if (job.include_globals) problems.push({ field: 'include_globals', message: whole });
  if (Object.values(job.selection ?? {}).some((value) => Array.isArray(value) && value.length > 0)) problems.push({ field: 'selection', message: whole });
  if (job.verification?.drill) {
    problems.push({ field: 'verification.drill', message: 'the drill of a backup job restores into a database, which a physical backup cannot; schedule a physical drill on the connection\'s continuous protection instead' });
  }
  return problems;
}

function toValues(job: BackupJobInput): BackupJobValues {
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
    incremental_full_every: job.incremental_full_every ?? null,
    ...scheduleValues(job),
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
    incremental_full_every: patch.incremental_full_every !== undefined ? patch.incremental_full_every : current.incremental_full_every,
    ...mergedSchedule(patch, current),
  };
  const checked = backupJobCreateSchema.safeParse(merged);
  if (!checked.success) throw validationErrorFromIssues(checked.error.issues);
  await checkReferences(db, merged);
  const values = toValues(merged);
  return updateBackupJobRow(db, current.id, { ...values, next_fire_at: nextFireOnEdit(merged, current) }, patch.storage_ids, patch.channel_ids);
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
