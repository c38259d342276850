import type { Kysely } from 'kysely';

import { type OutboundCheck, allowAnyOutbound } from '../net/outbound-guard.js';
import type { SecretBox } from '../secrets/secret-box.js';
import type { StoreDatabase } from '../store/store-types.js';
import { type SyncJob, createSyncJob, getSyncJob, updateSyncJob } from '../store/sync-job-repository.js';
import type { SyncJobInput, SyncJobPatch } from './job-input-schemas.js';
import { checkSyncJob } from './sync-job-checks.js';

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
      selection: (patch.selection ?? current.selection) as Record<string, unknown>,
      table_options: (patch.table_options ?? current.table_options) as Record<string, unknown>,
    });
  }
  return updateSyncJob(db, idOrName, patch);
}
