import type { Kysely } from 'kysely';

import { listPhysicalBackups } from '../../engine/physical/list-physical-backups.js';
import { type RestorableWindow, restorableWindows } from '../../engine/wal/restorable-window.js';
import { openAllowedStorage } from '../../net/allowed-targets.js';
import type { OutboundCheck } from '../../net/outbound-guard.js';
import type { SecretBox } from '../../secrets/secret-box.js';
import { loadStorageTarget } from '../../store/storage-repository.js';
import type { StoreDatabase } from '../../store/store-types.js';
import { getProtection } from './protection-service.js';

export interface ProtectionTimeline {
  connection_id: string;
  storage_name: string;
  /** Null until the stream reported the cluster's system identifier. */
  system_id: string | null;
  /** One window per physical base backup of the cluster in the storage, oldest first. */
  windows: { backup: string; timeline: number; start_lsn: string; started_at: string; consistent_lsn: string; consistent_at: string; end_lsn: string; unrestorable: boolean; first_missing: string | null; resumes_at: string | null }[];
}

const windowView = (window: RestorableWindow): ProtectionTimeline['windows'][number] => ({
  backup: window.backup,
  timeline: window.timeline,
  start_lsn: window.startLsn,
  started_at: window.startedAt,
  consistent_lsn: window.consistentLsn,
  consistent_at: window.consistentAt,
  end_lsn: window.endLsn,
  unrestorable: window.unrestorable,
  first_missing: window.firstMissing ?? null,
  resumes_at: window.resumesAt ?? null,
});

/** The restorable window of a protected connection: its base backups in the protection's storage and the unbroken WAL after each. */
export async function protectionTimeline(db: Kysely<StoreDatabase>, secrets: SecretBox, outbound: OutboundCheck, connectionIdOrName: string): Promise<ProtectionTimeline> {
  const protection = await getProtection(db, connectionIdOrName);
  const systemId = protection.progress?.system_id ?? null;
  const base = { connection_id: protection.connection_id, storage_name: protection.storage_name, system_id: systemId };
  if (systemId === null) return { ...base, windows: [] };
  const storage = openAllowedStorage(outbound, await loadStorageTarget(db, secrets, protection.storage_id));
  try {
    const windows = await restorableWindows(storage, await listPhysicalBackups(storage, { systemId }));
    return { ...base, windows: windows.map(windowView) };
  } finally {
    await storage.close();
  }
}
