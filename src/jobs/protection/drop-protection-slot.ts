import type { Kysely } from 'kysely';

import { safeServerReason } from '../../engine/sql/safe-server-reason.js';
import { dropWalSlot } from '../../engine/wal/wal-slot.js';
import { PgferryError } from '../../errors/pgferry-error.js';
import type { OutboundCheck } from '../../net/outbound-guard.js';
import type { SecretBox } from '../../secrets/secret-box.js';
import { type ProtectionRow, markSlotDropped } from '../../store/protection-repository.js';
import type { StoreDatabase } from '../../store/store-types.js';
import { loadProtectionTarget } from './protection-target.js';

/** How long a drop waits for the server to let go of the slot after its stream ended. */
const attempts = 30;
const retryMs = 500;

/**
 * Drops the slot of a disabled protection and marks it dropped; the caller holds the
 * protection's lease, so no stream starts on the slot meanwhile. Returns whether the slot existed.
 */
export async function dropProtectionSlot(db: Kysely<StoreDatabase>, secrets: SecretBox, outbound: OutboundCheck, row: ProtectionRow): Promise<boolean> {
  const target = await loadProtectionTarget(db, secrets, outbound, row);
  await target.stream.storage.close();
  for (let attempt = 1; ; attempt += 1) {
    try {
      const existed = await dropWalSlot(target.source, row.slot_name);
      await markSlotDropped(db, row.connection_id);
      return existed;
    } catch (error) {
      // 55006: the slot is still active; the server lets go a moment after the stream ended.
      if ((error as { code?: string }).code !== '55006' || attempt >= attempts) {
        throw new PgferryError(
          'PGF_WAL_STREAM_FAILED',
          `dropping replication slot ${row.slot_name} of connection "${target.connectionName}" failed: ${safeServerReason(error)}; a worker retries, or drop it on the server with pg_drop_replication_slot`,
          { cause: error },
        );
      }
      await new Promise((resolve) => setTimeout(resolve, retryMs));
    }
  }
}
