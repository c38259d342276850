import path from 'node:path';

import { PgferryError } from '../../errors/pgferry-error.js';
import type { ArchiveLocation } from '../archive/archive-files.js';
import { type Manifest, type PhysicalSection, manifestFileName } from '../archive/manifest.js';
import type { ArchiveTrust } from '../archive/manifest-signature.js';
import { readTrustedManifest, verifyArchive } from '../archive/verify-archive.js';
import { joinPath } from '../storage/archive-storage.js';

export interface ChainLink {
  location: ArchiveLocation;
  manifest: Manifest;
  physical: PhysicalSection;
}

/** No chain is this long on purpose; a loop of parents would be. */
const maxChainLength = 1000;

/**
 * Where an incremental backup's parent may be: beside it (the parent's directory name next
 * to the backup's, however the storage is opened now), then where it was at backup time.
 */
export function parentCandidates(backupPath: string, incremental: NonNullable<PhysicalSection['incremental']>): string[] {
  const dir = path.posix.dirname(backupPath);
  const sibling = backupPath === '' ? undefined : joinPath(dir === '.' ? '' : dir, incremental.parent_name);
  return [...new Set([sibling, joinPath(incremental.parent)].filter((candidate): candidate is string => candidate !== undefined))];
}

const isParent = (physical: PhysicalSection, child: PhysicalSection) => {
  const expected = child.incremental;
  return expected !== undefined && physical.system_identifier === child.system_identifier && physical.label === expected.parent_label && physical.start_lsn === expected.parent_start_lsn && physical.end_lsn === expected.parent_end_lsn;
};

/**
 * The chain an incremental backup restores from: its full backup first, then each
 * incremental in order, ending with the backup given. Every manifest is read trusted, and
 * each parent must be the very backup the child was taken on (system, label, positions).
 */
export async function loadBackupChain(location: ArchiveLocation, manifest: Manifest, trust: ArchiveTrust): Promise<ChainLink[]> {
  const where = location.storage.describe(location.path);
  if (manifest.format !== 'physical' || !manifest.physical) throw new PgferryError('PGF_ARCHIVE_INVALID', `${where} is not a physical backup`);
  const chain: ChainLink[] = [{ location, manifest, physical: manifest.physical }];
  for (;;) {
    const child = chain[0] as ChainLink;
    const incremental = child.physical.incremental;
    if (!incremental) return chain;
    if (chain.length >= maxChainLength) throw new PgferryError('PGF_BACKUP_CHAIN_BROKEN', `${where}: its chain of parents is longer than ${maxChainLength} backups or loops; restore a full backup`);
    const childWhere = child.location.storage.describe(child.location.path);
    let found: ChainLink | undefined;
    for (const candidate of parentCandidates(child.location.path, incremental)) {
      if (!(await child.location.storage.exists(joinPath(candidate, manifestFileName)).catch(() => false))) continue;
      const parentLocation = { storage: child.location.storage, path: candidate };
      const parentManifest = await readTrustedManifest(parentLocation, trust);
      if (parentManifest.physical && isParent(parentManifest.physical, child.physical)) {
        found = { location: parentLocation, manifest: parentManifest, physical: parentManifest.physical };
        break;
      }
    }
    if (!found) {
      throw new PgferryError(
        'PGF_BACKUP_CHAIN_BROKEN',
        `${childWhere} is an incremental backup on top of ${incremental.parent} (label "${incremental.parent_label}", ${incremental.parent_start_lsn} → ${incremental.parent_end_lsn}), which is not in ${child.location.storage.describe(path.posix.dirname(child.location.path) === '.' ? '' : path.posix.dirname(child.location.path))}; it restores only with its whole chain back to a full backup — put the parent back beside it, or restore an earlier backup`,
        { details: { backup: childWhere, missing_parent: incremental.parent } },
      );
    }
    chain.unshift(found);
  }
}

export interface ChainVerifyResult {
  ok: boolean;
  /** Each backup of the chain, full first; absent when the chain could not be followed. */
  links: { path: string; archive: string; ok: boolean; files: number; checkedBytes: number }[];
  error?: PgferryError;
}

/**
 * An incremental backup is only as good as its chain: every parent back to the full backup
 * must be present, be the very backup it was taken on, and pass its own verify (signature,
 * each stored file's size and sha256).
 */
export async function verifyBackupChain(location: ArchiveLocation, options: { trust: ArchiveTrust; signal?: AbortSignal }): Promise<ChainVerifyResult> {
  let chain: ChainLink[];
  try {
    chain = await loadBackupChain(location, await readTrustedManifest(location, options.trust), options.trust);
  } catch (error) {
    if (!(error instanceof PgferryError)) throw error;
    return { ok: false, links: [], error };
  }
  const result: ChainVerifyResult = { ok: true, links: [] };
  for (const link of chain) {
    const verified = await verifyArchive(link.location, { trust: options.trust, ...(options.signal ? { signal: options.signal } : {}) });
    result.links.push({ path: link.location.path, archive: verified.archive, ok: verified.ok, files: verified.files.length, checkedBytes: verified.checkedBytes });
    if (!verified.ok && result.ok) {
      result.ok = false;
      result.error = new PgferryError('PGF_BACKUP_CHAIN_BROKEN', `${verified.archive}, part of the chain of ${location.storage.describe(location.path)}, fails verify: ${verified.error?.message ?? 'corrupt'}; the incremental backup cannot be restored`, { cause: verified.error });
    }
  }
  return result;
}
