import { parseManifest, manifestFileName } from '../archive/manifest.js';
import { type ArchiveStorage, joinPath, readText } from '../storage/archive-storage.js';
import { parentCandidates } from './backup-chain.js';

export interface PhysicalBackupSummary {
  /** The backup's directory inside the storage (what restore and verify take). */
  path: string;
  systemId: string;
  serverMajor: number;
  timeline: number;
  startLsn: string;
  endLsn: string;
  startedAt: string;
  finishedAt: string;
  walIncluded: boolean;
  label: string;
  sizeBytes: number;
  /** An incremental backup: its parent's directory in this storage (it restores only with its chain). */
  parent?: string | undefined;
}

export interface PhysicalBackupFilter {
  /** Only under this directory of the storage (default: the whole storage). */
  under?: string | undefined;
  /** Only backups of this cluster (pg_control system identifier). */
  systemId?: string | undefined;
}

/**
 * Every physical backup in a storage, oldest first, read from the manifests themselves
 * (unsigned: callers that act on one read it again through readTrustedManifest). A
 * manifest that does not parse is skipped here; verify names it.
 */
export async function listPhysicalBackups(storage: ArchiveStorage, filter: PhysicalBackupFilter = {}): Promise<PhysicalBackupSummary[]> {
  const objects = await storage.list(joinPath(filter.under ?? ''));
  const found: PhysicalBackupSummary[] = [];
  for (const object of objects) {
    if (object.path !== manifestFileName && !object.path.endsWith(`/${manifestFileName}`)) continue;
    const dir = object.path.slice(0, -manifestFileName.length).replace(/\/$/, '');
    let manifest;
    try {
      manifest = parseManifest(await readText(storage, object.path), storage.describe(dir));
    } catch {
      continue;
    }
    const physical = manifest.physical;
    if (manifest.format !== 'physical' || !physical) continue;
    if (filter.systemId !== undefined && physical.system_identifier !== filter.systemId) continue;
    found.push({
      path: dir,
      systemId: physical.system_identifier,
      serverMajor: physical.server_major,
      timeline: physical.timeline,
      startLsn: physical.start_lsn,
      endLsn: physical.end_lsn,
      startedAt: manifest.created_at,
      finishedAt: manifest.finished_at,
      walIncluded: physical.wal === 'included',
      label: physical.label,
      sizeBytes: manifest.files.reduce((sum, file) => sum + file.size, 0),
      ...(physical.incremental ? { parent: parentCandidates(dir, physical.incremental)[0] } : {}),
    });
  }
  return found.sort((a, b) => a.startedAt.localeCompare(b.startedAt));
}
