import type { PhysicalBackupSummary } from '../physical/list-physical-backups.js';
import type { ArchiveStorage } from '../storage/archive-storage.js';
import { parseLsn } from './lsn.js';
import { verifyWalChain } from './wal-chain.js';

export interface RestorableWindow {
  backup: string;
  systemId: string;
  timeline: number;
  /** The backup's start: WAL is needed from here. */
  startLsn: string;
  startedAt: string;
  /** The earliest restorable point: the backup's end (recovery must replay at least this far). */
  consistentLsn: string;
  consistentAt: string;
  /** The latest restorable point: the end of the unbroken WAL after the backup. */
  endLsn: string;
  /** The backup cannot be restored at all: its own WAL (start → end) is neither included nor stored. */
  unrestorable: boolean;
  firstMissing: string | undefined;
  resumesAt: string | undefined;
}

/** The window each base backup can restore to, through the contiguous WAL after it; holes are named. */
export async function restorableWindows(storage: ArchiveStorage, backups: readonly PhysicalBackupSummary[]): Promise<RestorableWindow[]> {
  const windows: RestorableWindow[] = [];
  for (const backup of backups) {
    const chain = await verifyWalChain(storage, backup.systemId, backup.startLsn, backup.timeline);
    const chainEnd = parseLsn(chain.end);
    const consistent = parseLsn(backup.endLsn);
    const covered = chainEnd >= consistent;
    windows.push({
      backup: backup.path,
      systemId: backup.systemId,
      timeline: backup.timeline,
      startLsn: backup.startLsn,
      startedAt: backup.startedAt,
      consistentLsn: backup.endLsn,
      consistentAt: backup.finishedAt,
      endLsn: covered ? chain.end : backup.endLsn,
      unrestorable: !covered && !backup.walIncluded,
      firstMissing: chain.firstMissing ?? (covered ? undefined : chain.next),
      resumesAt: chain.resumesAt,
    });
  }
  return windows;
}
