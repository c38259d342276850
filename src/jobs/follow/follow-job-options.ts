import type { Kysely } from 'kysely';

import type { FollowOptions } from '../../engine/follow/follow-api.js';
import { loadAllowedConnectionTarget } from '../../net/allowed-targets.js';
import type { OutboundCheck } from '../../net/outbound-guard.js';
import type { SecretBox } from '../../secrets/secret-box.js';
import type { SyncJob } from '../../store/sync-job-repository.js';
import type { StoreDatabase } from '../../store/store-types.js';
import { jobSyncScope } from '../sync-job-scope.js';

/** A saved continuous-sync job as the engine's options; its id names the slot, publication and position. */
export async function followJobOptions(db: Kysely<StoreDatabase>, secrets: SecretBox, outbound: OutboundCheck, job: SyncJob): Promise<FollowOptions & { sourceName: string; destinationName: string }> {
  const source = await loadAllowedConnectionTarget(db, secrets, outbound, job.source_connection_id);
  const destination = await loadAllowedConnectionTarget(db, secrets, outbound, job.destination_connection_id);
  // A follow has no mode (it copies everything once, then streams): the scope's mode is dropped.
  const { mode: _mode, ...scope } = jobSyncScope(job);
  return {
    source: source.config,
    destination: destination.config,
    ...scope,
    schemaPolicy: job.schema_policy,
    jobs: job.parallelism,
    owners: job.copy_owners,
    grants: job.copy_grants,
    destinationProtected: destination.protected,
    followId: job.id,
    sourceName: source.name,
    destinationName: destination.name,
  };
}
