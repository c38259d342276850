import type { Kysely } from 'kysely';

import { type FieldProblem, validationError, validationErrorFromIssues } from '../errors/validation-error.js';
import { type OutboundCheck, allowAnyOutbound } from '../net/outbound-guard.js';
import type { SecretBox } from '../secrets/secret-box.js';
import { type StoreDb, assertNoActiveRun, missingReferences } from '../store/repository-helpers.js';
import type { StoreDatabase } from '../store/store-types.js';
import { type SyncJob, type SyncJobValues, assertBatchSyncJob, deleteSyncJobRow, getSyncJob, insertSyncJob, updateSyncJobRow } from '../store/sync-job-repository.js';
import { type SyncJobInput, type SyncJobPatch, syncJobCreateSchema, syncJobUpdateSchema } from './job-input-schemas.js';
import { checkSyncJob } from './sync-job-checks.js';
import { destructiveModes } from '../engine/types.js';
import { mergedSchedule, nextFireOnEdit, scheduleValues } from './job-schedule-fields.js';

// The rules of a saved sync job: references exist, a protected destination is never
// overwritten, a patch is checked as the whole job it makes, the next tick follows the
// schedule. The repository only writes what this prepared.

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

function toValues(job: SyncJobInput): SyncJobValues {
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
    ...scheduleValues(job),
  };
}

/** Saves a new job (the API and CLI parsed it with syncJobCreateSchema). */
export async function createSyncJob(db: Kysely<StoreDatabase>, job: SyncJobInput): Promise<SyncJob> {
  await checkReferences(db, job);
  return insertSyncJob(db, toValues(job), job.channel_ids ?? []);
}

function mergeForCheck(current: SyncJob, patch: SyncJobPatch): SyncJobInput {
  const parsed = syncJobUpdateSchema.safeParse(patch);
  if (!parsed.success) throw validationErrorFromIssues(parsed.error.issues);
  return {
    name: patch.name ?? current.name,
    description: patch.description !== undefined ? patch.description : current.description,
    source_connection_id: patch.source_connection_id ?? current.source_connection_id,
    destination_connection_id: patch.destination_connection_id ?? current.destination_connection_id,
    selection: patch.selection ?? current.selection,
    table_options: patch.table_options ?? current.table_options,
    default_mode: patch.default_mode ?? current.default_mode,
    schema_policy: patch.schema_policy ?? current.schema_policy,
    parallelism: patch.parallelism ?? current.parallelism,
    split_rows: patch.split_rows !== undefined ? patch.split_rows : current.split_rows === null ? null : Number(current.split_rows),
    verify: patch.verify ?? current.verify,
    copy_owners: patch.copy_owners ?? current.copy_owners,
    copy_grants: patch.copy_grants ?? current.copy_grants,
    ...mergedSchedule(patch, current),
  };
}

/** Changes a job: the patch is checked as the whole job it makes. */
export async function updateSyncJob(db: Kysely<StoreDatabase>, idOrName: string, patch: SyncJobPatch): Promise<SyncJob> {
  const current = await getSyncJob(db, idOrName);
  assertBatchSyncJob(current, 'changed');
  const merged = mergeForCheck(current, patch);
  const checked = syncJobCreateSchema.safeParse(merged);
  if (!checked.success) throw validationErrorFromIssues(checked.error.issues);
  await checkReferences(db, merged);
  const values = toValues(merged);
  return updateSyncJobRow(db, current.id, { ...values, next_fire_at: nextFireOnEdit(merged, current) }, patch.channel_ids);
}

export async function setSyncJobEnabled(db: Kysely<StoreDatabase>, idOrName: string, enabled: boolean): Promise<SyncJob> {
  return updateSyncJob(db, idOrName, { enabled });
}

/** Deletes a job; its runs stay (job_name keeps the name). Refused while a run is active. */
export async function deleteSyncJob(db: StoreDb, idOrName: string): Promise<void> {
  const job = await getSyncJob(db, idOrName);
  assertBatchSyncJob(job, 'deleted');
  await assertNoActiveRun(db, 'sync', job);
  await deleteSyncJobRow(db, job.id);
}

/** Saves a new sync job after checking its options against the servers (see checkSyncJob). */
export async function createCheckedSyncJob(db: Kysely<StoreDatabase>, secrets: SecretBox, input: SyncJobInput, outbound: OutboundCheck = allowAnyOutbound): Promise<SyncJob> {
  await checkSyncJob(db, secrets, outbound, {
    source_connection_id: input.source_connection_id,
    destination_connection_id: input.destination_connection_id,
    default_mode: input.default_mode ?? 'full',
    selection: input.selection ?? {},
    table_options: input.table_options ?? {},
  });
  return createSyncJob(db, input);
}

const checkedFields = ['source_connection_id', 'destination_connection_id', 'default_mode', 'selection', 'table_options'] as const;

/** Changes a sync job; a change to what it copies or how is checked against the servers first. */
export async function updateCheckedSyncJob(
  db: Kysely<StoreDatabase>,
  secrets: SecretBox,
  idOrName: string,
  patch: SyncJobPatch,
  outbound: OutboundCheck = allowAnyOutbound,
): Promise<SyncJob> {
  if (checkedFields.some((field) => patch[field] !== undefined)) {
    const current = await getSyncJob(db, idOrName);
    await checkSyncJob(db, secrets, outbound, {
      source_connection_id: patch.source_connection_id ?? current.source_connection_id,
      destination_connection_id: patch.destination_connection_id ?? current.destination_connection_id,
      default_mode: patch.default_mode ?? current.default_mode,
      selection: patch.selection ?? current.selection,
      table_options: patch.table_options ?? current.table_options,
    });
  }
  return updateSyncJob(db, idOrName, patch);
}
