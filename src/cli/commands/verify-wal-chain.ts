import type { ArchiveLocation } from '../../engine/archive/archive-files.js';
import type { PhysicalSection } from '../../engine/archive/manifest.js';
import { parseLsn } from '../../engine/wal/lsn.js';
import { verifyWalChain } from '../../engine/wal/wal-chain.js';
import { PgferryError } from '../../errors/pgferry-error.js';

export interface WalChainCheck {
  ok: boolean;
  from: string;
  /** End of the unbroken WAL after the backup: the latest point it restores to. */
  end: string;
  segments: number;
  first_missing: string | null;
  resumes_at: string | null;
  message: string;
}

/**
 * The WAL a physical backup needs, checked in the storage it lives in (`wal/` at the root):
 * a hole after the backup is a failure (recovery stops there, later WAL is unreachable), as
 * is missing WAL between the backup's start and end when the backup does not include it.
 */
export async function checkWalChain(location: ArchiveLocation, physical: PhysicalSection): Promise<WalChainCheck> {
  const chain = await verifyWalChain(location.storage, physical.system_identifier, physical.start_lsn, physical.timeline);
  const base = { from: chain.from, end: chain.end, segments: chain.segments, first_missing: chain.firstMissing ?? null, resumes_at: chain.resumesAt ?? null };
  if (chain.firstMissing) {
    return { ...base, ok: false, message: `WAL segment ${chain.firstMissing} is missing after ${chain.segments} stored segment(s) from ${chain.from}; later WAL (from ${chain.resumesAt ?? '?'}) cannot be reached: point-in-time recovery from this backup stops at ${chain.end}` };
  }
  const covered = parseLsn(chain.end) >= parseLsn(physical.end_lsn);
  if (!covered && physical.wal !== 'included') {
    return { ...base, ok: false, message: `the backup's own WAL (${physical.start_lsn} → ${physical.end_lsn}) is neither in the backup nor stored: segment ${chain.next} is missing, so it cannot be restored` };
  }
  return { ...base, ok: true, message: chain.segments === 0 ? `no WAL after the backup in ${location.storage.describe('wal')}: it restores to its end only (if its WAL is stored elsewhere, name that place with --wal-storage)` : `${chain.segments} WAL segment(s) without a gap from ${chain.from} to ${chain.end}` };
}

export function walChainError(archive: string, check: WalChainCheck): PgferryError {
  return new PgferryError('PGF_WAL_SEGMENT_MISSING', `${archive}: ${check.message}; archive the missing WAL (pgferry wal push) or take a new base backup`, { details: { first_missing: check.first_missing } });
}
