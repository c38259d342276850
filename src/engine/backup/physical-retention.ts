import { type PhysicalSection, manifestFileName, parseManifest } from '../archive/manifest.js';
import { parentCandidates } from '../physical/backup-chain.js';
import type { PhysicalBackupSummary } from '../physical/list-physical-backups.js';
import { type ArchiveStorage, joinPath, readText } from '../storage/archive-storage.js';
import { formatLsn, isSegmentName, parseLsn, parseSegmentName, segmentNumber } from '../wal/lsn.js';
import { listWalFiles } from '../wal/wal-archive.js';
import { systemPrefix } from '../wal/wal-layout.js';
import { walSegmentSize } from '../wal/wal-system.js';
import { type RetentionCandidate, type RetentionDecision, type RetentionPlan, type RetentionPolicy, planRetention } from './retention-policy.js';

export interface PhysicalCandidate {
  id: string;
  createdAt: Date;
  verified: boolean;
  backup: PhysicalBackupSummary;
}

export interface WalRetention {
  systemId: string;
  /** The start of the oldest kept base backup: every WAL file from its segment on stays. Undefined: no backup kept, nothing removed. */
  keepFromLsn: string | undefined;
  /** Segment files (and their `.partial`/`.backup` companions) before it, to delete. History files always stay. */
  remove: { timeline: number; file: string }[];
  kept: number;
}

export interface PhysicalRetentionPlan {
  keep: RetentionDecision<PhysicalCandidate>[];
  expire: RetentionDecision<PhysicalCandidate>[];
  wal: WalRetention[];
}

/** The segment a stored WAL file belongs to (segments, `.partial` and `.backup` files), or undefined for history files. */
function segmentOf(file: string, segmentSize: number): bigint | undefined {
  const base = file.slice(0, 24);
  if (!isSegmentName(base)) return undefined;
  return parseSegmentName(base, segmentSize).segment;
}

/**
 * An incremental backup restores only with every parent back to its full backup: a parent
 * the policy would expire stays while a kept incremental depends on it (reason says which).
 */
function keepChains(decided: { keep: RetentionDecision<PhysicalCandidate>[]; expire: RetentionDecision<PhysicalCandidate>[] }): void {
  const work = [...decided.keep];
  for (let child = work.pop(); child; child = work.pop()) {
    const parent = child.backup.backup.parent;
    const index = parent === undefined ? -1 : decided.expire.findIndex((decision) => decision.backup.id === parent);
    if (index < 0) continue;
    const [rescued] = decided.expire.splice(index, 1) as [RetentionDecision<PhysicalCandidate>];
    rescued.keep = true;
    rescued.reasons = [`parent of kept incremental backup ${child.backup.id}`];
    decided.keep.push(rescued);
    work.push(rescued);
  }
}

/** The incremental section of the backup at `location`, or undefined (full, not physical, unreadable). */
async function incrementalOf(storage: ArchiveStorage, location: string): Promise<NonNullable<PhysicalSection['incremental']> | undefined> {
  try {
    return parseManifest(await readText(storage, joinPath(location, manifestFileName)), storage.describe(location)).physical?.incremental;
  } catch {
    return undefined;
  }
}

/**
 * The same rule for recorded backups (`backups prune --storage`, a backup job's retention):
 * each kept backup's manifest is read for its parent, which is rescued from the expired list.
 */
export async function keepRecordedParents<T extends RetentionCandidate>(storage: ArchiveStorage, plan: RetentionPlan<T>, locationOf: (backup: T) => string): Promise<void> {
  const work = [...plan.keep];
  for (let child = work.pop(); child; child = work.pop()) {
    const incremental = await incrementalOf(storage, locationOf(child.backup));
    if (!incremental) continue;
    const candidates = parentCandidates(locationOf(child.backup), incremental);
    const index = plan.expire.findIndex((decision) => candidates.includes(joinPath(locationOf(decision.backup))));
    if (index < 0) continue;
    const [rescued] = plan.expire.splice(index, 1) as [RetentionDecision<T>];
    rescued.keep = true;
    rescued.reasons = [`parent of kept incremental backup ${locationOf(child.backup)}`];
    plan.keep.push(rescued);
    work.push(rescued);
  }
}

/**
 * Which physical base backups a GFS policy keeps (the same rules as native archives, per
 * cluster), and exactly the WAL the kept ones need: a restore from the oldest kept backup to
 * any later point replays every segment from that backup's start, so everything before it
 * goes and nothing after it. Parents of kept incremental backups are kept too. A cluster with no backup kept keeps all its WAL (nothing says
 * which of it is still wanted).
 */
export async function planPhysicalRetention(storage: ArchiveStorage, backups: readonly PhysicalBackupSummary[], policy: RetentionPolicy): Promise<PhysicalRetentionPlan> {
  const bySystem = new Map<string, PhysicalBackupSummary[]>();
  for (const backup of backups) bySystem.set(backup.systemId, [...(bySystem.get(backup.systemId) ?? []), backup]);
  const plan: PhysicalRetentionPlan = { keep: [], expire: [], wal: [] };
  for (const [systemId, group] of bySystem) {
    const decided = planRetention(
      group.map((backup) => ({ id: backup.path, createdAt: new Date(backup.finishedAt), verified: false, backup })),
      policy,
    );
    keepChains(decided);
    plan.keep.push(...decided.keep);
    plan.expire.push(...decided.expire);
    const files = await listWalFiles(storage, systemId);
    if (decided.keep.length === 0 || files.length === 0) {
      plan.wal.push({ systemId, keepFromLsn: undefined, remove: [], kept: files.length });
      continue;
    }
    const segmentSize = await walSegmentSize(storage, systemId);
    const oldest = decided.keep.map((decision) => parseLsn(decision.backup.backup.startLsn)).reduce((min, lsn) => (lsn < min ? lsn : min));
    const cut = segmentNumber(oldest, segmentSize);
    const remove = files.filter((file) => {
      const segment = segmentOf(file.file, segmentSize);
      return segment !== undefined && segment < cut;
    });
    plan.wal.push({ systemId, keepFromLsn: formatLsn(oldest), remove, kept: files.length - remove.length });
  }
  return plan;
}

/** Deletes what the plan expires: each backup's directory, then each WAL file's metadata (so it stops counting as stored) and its data. */
export async function applyPhysicalRetention(storage: ArchiveStorage, plan: PhysicalRetentionPlan): Promise<{ backups: number; walFiles: number }> {
  for (const decision of plan.expire) await storage.remove(decision.backup.backup.path);
  let walFiles = 0;
  for (const wal of plan.wal) {
    if (wal.remove.length === 0) continue;
    const doomed = new Set(wal.remove.map((file) => `${file.timeline}/${file.file}`));
    const objects = await storage.list(systemPrefix(wal.systemId));
    const targets = objects.filter((object) => {
      const match = /\/([0-9A-F]{8})\/([0-9A-F]{24}(?:\.partial|\.[0-9A-F]{8}\.backup)?)(\..*)?$/.exec(object.path);
      return match !== null && doomed.has(`${Number.parseInt(match[1] as string, 16)}/${match[2] as string}`);
    });
    // Metadata first: a crash half-way leaves data without metadata (ignored), never metadata without data.
    targets.sort((a, b) => Number(b.path.endsWith('.json')) - Number(a.path.endsWith('.json')));
    for (const object of targets) await storage.remove(joinPath(object.path));
    walFiles += wal.remove.length;
  }
  return { backups: plan.expire.length, walFiles };
}
