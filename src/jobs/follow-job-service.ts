import type { Kysely } from 'kysely';

import { type FieldProblem, validationError, validationErrorFromIssues } from '../errors/validation-error.js';
import { PgferryError } from '../errors/pgferry-error.js';
import { type OutboundCheck, allowAnyOutbound } from '../net/outbound-guard.js';
import type { SecretBox } from '../secrets/secret-box.js';
import { type FollowJob, getFollowJob, insertFollowState, setFollowPaused, updateFollowThresholds } from '../store/follow-job-repository.js';
import { missingReferences } from '../store/repository-helpers.js';
import type { StoreDatabase } from '../store/store-types.js';
import { type SyncJobValues, insertSyncJob, updateSyncJobRow } from '../store/sync-job-repository.js';
import { type FollowJobInput, type FollowJobPatch, followJobCreateSchema, followJobUpdateSchema } from './job-input-schemas.js';
import { checkSyncJob } from './sync-job-checks.js';

// The rules of a saved continuous-sync job: a sync job of kind `follow` (no schedule, no mode:
// it copies everything once, then streams) whose destination is not protected, checked
// against the servers like a sync job, with its follower row created in the same transaction.

async function checkReferences(db: Kysely<StoreDatabase>, job: FollowJobInput): Promise<void> {
  const problems: FieldProblem[] = [
    ...(await missingReferences(db, 'connections', 'source_connection_id', [job.source_connection_id])),
    ...(await missingReferences(db, 'connections', 'destination_connection_id', [job.destination_connection_id])),
    ...(await missingReferences(db, 'notification_channels', 'channel_ids', job.channel_ids ?? [])),
  ];
  if (problems.length === 0) {
    const destination = await db.selectFrom('connections').select(['name', 'protected']).where('id', '=', job.destination_connection_id).executeTakeFirst();
    if (destination?.protected) {
      problems.push({
        field: 'destination_connection_id',
        message: `connection "${destination.name}" is protected (production); a continuous sync replaces the selected tables' contents there, so choose another destination`,
      });
    }
  }
  if (problems.length > 0) throw validationError(problems);
}

function toValues(job: FollowJobInput): SyncJobValues {
  return {
    name: job.name,
    description: job.description ?? null,
    source_connection_id: job.source_connection_id,
    destination_connection_id: job.destination_connection_id,
    selection: JSON.stringify(job.selection ?? {}),
    table_options: JSON.stringify(job.table_options ?? {}),
    default_mode: 'full',
    schema_policy: job.schema_policy ?? 'create-missing',
    parallelism: job.parallelism ?? 2,
    split_rows: null,
    verify: false,
    copy_owners: job.copy_owners ?? false,
    copy_grants: job.copy_grants ?? false,
    cron: null,
    timezone: 'UTC',
    enabled: job.enabled ?? true,
    next_fire_at: null,
    retry_max: 0,
    retry_backoff_s: 60,
    timeout_s: null,
    kind: 'follow',
  };
}

async function checkAgainstServers(db: Kysely<StoreDatabase>, secrets: SecretBox, outbound: OutboundCheck, job: FollowJobInput): Promise<void> {
  await checkSyncJob(db, secrets, outbound, {
    source_connection_id: job.source_connection_id,
    destination_connection_id: job.destination_connection_id,
    default_mode: 'full',
    selection: job.selection ?? {},
    table_options: job.table_options ?? {},
  });
}

/** Saves a new continuous-sync job; a worker starts following it within a poll. */
export async function createFollowJob(db: Kysely<StoreDatabase>, secrets: SecretBox, input: FollowJobInput, outbound: OutboundCheck = allowAnyOutbound): Promise<FollowJob> {
  await checkReferences(db, input);
  await checkAgainstServers(db, secrets, outbound, input);
  const job = await insertSyncJob(db, toValues(input), input.channel_ids ?? [], (tx, id) =>
    insertFollowState(tx, id, { retained_bytes_alert: input.retained_bytes_alert ?? null, lag_seconds_alert: input.lag_seconds_alert ?? null }),
  );
  return getFollowJob(db, job.id);
}

function merged(current: FollowJob, patch: FollowJobPatch): FollowJobInput {
  return {
    name: patch.name ?? current.name,
    description: patch.description !== undefined ? patch.description : current.description,
    source_connection_id: patch.source_connection_id ?? current.source_connection_id,
    destination_connection_id: patch.destination_connection_id ?? current.destination_connection_id,
    selection: patch.selection ?? current.selection,
    table_options: patch.table_options ?? current.table_options,
    schema_policy: patch.schema_policy ?? current.schema_policy,
    parallelism: patch.parallelism ?? current.parallelism,
    copy_owners: patch.copy_owners ?? current.copy_owners,
    copy_grants: patch.copy_grants ?? current.copy_grants,
    enabled: patch.enabled ?? current.enabled,
    channel_ids: patch.channel_ids ?? current.channel_ids,
    retained_bytes_alert: patch.retained_bytes_alert !== undefined ? patch.retained_bytes_alert : current.follow.retained_bytes_alert === null ? null : Number(current.follow.retained_bytes_alert),
    lag_seconds_alert: patch.lag_seconds_alert !== undefined ? patch.lag_seconds_alert : current.follow.lag_seconds_alert,
  };
}

/**
 * Changes a continuous-sync job. Source and destination are fixed once it exists: the slot,
 * the publication and the destination's position belong to that pair (drop and recreate to
 * move it). Tables, filters and rules are fixed once a follower has started.
 */
export async function updateFollowJob(db: Kysely<StoreDatabase>, secrets: SecretBox, idOrName: string, patch: FollowJobPatch, outbound: OutboundCheck = allowAnyOutbound): Promise<FollowJob> {
  const parsed = followJobUpdateSchema.safeParse(patch);
  if (!parsed.success) throw validationErrorFromIssues(parsed.error.issues);
  const current = await getFollowJob(db, idOrName);
  for (const field of ['source_connection_id', 'destination_connection_id'] as const) {
    if (patch[field] !== undefined && patch[field] !== current[field]) {
      throw validationError([{ field, message: `continuous-sync job "${current.name}" streams from its slot on the source into its position on the destination; drop the job and create another to change ${field}` }]);
    }
  }
  if (current.follow.progress !== null) {
    // Fixed once a follower started: see engine/follow/follow-definition.ts.
    const fixed = (['selection', 'table_options'] as const).filter((field) => patch[field] !== undefined && JSON.stringify(patch[field]) !== JSON.stringify(current[field]));
    if (fixed.length > 0) {
      throw validationError(
        fixed.map((field) => ({
          field,
          message: `continuous-sync job "${current.name}" has started: its initial copy and publication cover the tables, filters and rules it started with, so ${field} cannot change; drop the job and create another`,
        })),
      );
    }
  }
  const next = merged(current, patch);
  const checked = followJobCreateSchema.safeParse(next);
  if (!checked.success) throw validationErrorFromIssues(checked.error.issues);
  await checkReferences(db, next);
  if (patch.selection !== undefined || patch.table_options !== undefined) await checkAgainstServers(db, secrets, outbound, next);
  const thresholds = {
    ...(patch.retained_bytes_alert !== undefined ? { retained_bytes_alert: patch.retained_bytes_alert } : {}),
    ...(patch.lag_seconds_alert !== undefined ? { lag_seconds_alert: patch.lag_seconds_alert } : {}),
  };
  await updateSyncJobRow(db, current.id, toValues(next), patch.channel_ids, (tx, id) => updateFollowThresholds(tx, id, thresholds));
  return getFollowJob(db, current.id);
}

/** Pause stops the follower at its next lease renewal (the slot stays and retains WAL); resume lets a worker take it again. */
export async function setFollowJobPaused(db: Kysely<StoreDatabase>, idOrName: string, paused: boolean, reason = 'paused on request'): Promise<FollowJob> {
  const job = await getFollowJob(db, idOrName);
  if (!paused && !job.enabled) {
    throw new PgferryError('PGF_CONFLICT', `continuous-sync job "${job.name}" is disabled; enable it (PATCH enabled: true) to have it followed again`);
  }
  await setFollowPaused(db, job.id, paused, paused ? reason : null);
  return getFollowJob(db, job.id);
}
