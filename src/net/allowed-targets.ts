import type { Kysely } from 'kysely';

import type { ArchiveStorage } from '../engine/storage/archive-storage.js';
import { openStorage } from '../engine/storage/open-storage.js';
import type { SecretBox } from '../secrets/secret-box.js';
import { type ConnectionTarget, loadConnectionTarget } from '../store/connection-repository.js';
import type { StorageTarget } from '../store/storage-repository.js';
import type { StoreDatabase } from '../store/store-types.js';
import { type OutboundCheck, checkPgConfig } from './outbound-guard.js';

/** A saved connection's pg config, once PGFERRY_OUTBOUND_ALLOW lets pgferry connect to it. */
export async function loadAllowedConnectionTarget(db: Kysely<StoreDatabase>, secrets: SecretBox, outbound: OutboundCheck, idOrName: string): Promise<ConnectionTarget> {
  const target = await loadConnectionTarget(db, secrets, idOrName);
  await checkPgConfig(outbound, target.config, `connection "${target.name}"`);
  return target;
}

/** A saved storage, opened so that each request to its endpoint is first checked against PGFERRY_OUTBOUND_ALLOW. */
export function openAllowedStorage(outbound: OutboundCheck, target: Pick<StorageTarget, 'name' | 'spec'>): ArchiveStorage {
  return openStorage(target.spec, { beforeConnect: (host, port) => outbound({ host, port, what: `storage "${target.name}"` }) });
}
