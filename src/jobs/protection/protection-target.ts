import type { Kysely } from 'kysely';
import type pg from 'pg';

import type { WalStreamOptions } from '../../engine/wal/wal-streamer.js';
import { PgferryError } from '../../errors/pgferry-error.js';
import { loadAllowedConnectionTarget, openAllowedStorage } from '../../net/allowed-targets.js';
import type { OutboundCheck } from '../../net/outbound-guard.js';
import type { SecretBox } from '../../secrets/secret-box.js';
import type { ProtectionRow } from '../../store/protection-repository.js';
import { loadStorageTarget } from '../../store/storage-repository.js';
import type { StoreDatabase } from '../../store/store-types.js';

export interface ProtectionTarget {
  connectionName: string;
  storageName: string;
  source: pg.ClientConfig;
  stream: Omit<WalStreamOptions, 'signal' | 'spoolDir' | 'onProgress' | 'onEvent'>;
}

/** The stream a protection runs: its source, its opened storage (caller closes it) and how WAL is stored there. */
export async function loadProtectionTarget(db: Kysely<StoreDatabase>, secrets: SecretBox, outbound: OutboundCheck, row: ProtectionRow): Promise<ProtectionTarget> {
  const connection = await loadAllowedConnectionTarget(db, secrets, outbound, row.connection_id);
  const storage = await loadStorageTarget(db, secrets, row.storage_id);
  if (row.encrypt && !storage.encryptionSecret) {
    throw new PgferryError('PGF_ENCRYPTION_KEY_REQUIRED', `continuous protection of connection "${connection.name}" encrypts its WAL but storage "${storage.name}" has no encryption secret; set one on the storage or enable protection without --encrypt`);
  }
  return {
    connectionName: connection.name,
    storageName: storage.name,
    source: connection.config,
    stream: {
      source: connection.config,
      storage: openAllowedStorage(outbound, storage),
      slot: row.slot_name,
      compression: row.compression,
      encryptionSecret: row.encrypt ? storage.encryptionSecret : undefined,
    },
  };
}
