import type { PhysicalSection } from '../archive/manifest.js';
import type { ArchiveStorage } from '../storage/archive-storage.js';
import { parseLsn } from './lsn.js';
import { type WalChain, verifyWalChain } from './wal-chain.js';

export interface BackupWalCheck {
  /** The stored WAL covers the backup from its start to its end: recovery can make it consistent. */
  ok: boolean;
  systemId: string;
  startLsn: string;
  endLsn: string;
  /** The first segment the backup needs that is not stored (recovery stops there). */
  missing: string | undefined;
  /** Where the unbroken WAL from the backup's start ends (its restorable window ends here). */
  chainEnd: string;
  /** Bytes of unbroken WAL past the backup's end (0 when the chain does not reach it). */
  beyondEndBytes: string;
  /** A hole further on, after the backup's end: restores cannot go past it. */
  laterHole: { firstMissing: string; resumesAt: string | undefined } | undefined;
  chain: WalChain;
}

/**
 * Checks that the WAL a physical backup needs (start → end LSN, which a `--wal archive` backup
 * does not hold) is stored without a gap, and how far the chain goes beyond.
 */
export async function checkBackupWal(storage: ArchiveStorage, physical: PhysicalSection): Promise<BackupWalCheck> {
  const chain = await verifyWalChain(storage, physical.system_identifier, physical.start_lsn, physical.timeline);
  const end = parseLsn(physical.end_lsn);
  const chainEnd = parseLsn(chain.end);
  const ok = chainEnd >= end;
  return {
    ok,
    systemId: physical.system_identifier,
    startLsn: physical.start_lsn,
    endLsn: physical.end_lsn,
    missing: ok ? undefined : chain.next,
    chainEnd: chain.end,
    beyondEndBytes: (ok ? chainEnd - end : 0n).toString(),
    laterHole: ok && chain.firstMissing ? { firstMissing: chain.firstMissing, resumesAt: chain.resumesAt } : undefined,
    chain,
  };
}

/** One line for people: what was checked and how far the WAL reaches. */
export function describeBackupWal(check: BackupWalCheck, where: string): string {
  if (!check.ok) {
    return `WAL MISSING: the backup needs WAL ${check.startLsn} → ${check.endLsn} of system ${check.systemId}, but segment ${check.missing ?? ''} is not in ${where}`;
  }
  const beyond = Number(BigInt(check.beyondEndBytes)) / 1048576;
  const hole = check.laterHole ? `; then segment ${check.laterHole.firstMissing} is missing (WAL resumes at ${check.laterHole.resumesAt ?? 'a later segment'}), so restores cannot go past ${check.chainEnd}` : '';
  return `ok: WAL ${check.startLsn} → ${check.endLsn} is in ${where} (${check.chain.segments} segments from the start); the unbroken chain goes ${beyond.toFixed(1)} MB beyond the backup's end, to ${check.chainEnd}${hole}`;
}
