import type { RetentionPolicy } from '../../engine/backup/retention-policy.js';
import type { ArchiveStorage } from '../../engine/storage/archive-storage.js';
import { json } from './backup-cli-support.js';

/**
 * `backups prune --physical`: physical base backups are found in the storage itself (they are
 * not in the backup list), kept by the GFS policy per cluster, and the WAL before the oldest
 * kept backup's start is deleted; everything from there on stays.
 */
export async function prunePhysical(storage: ArchiveStorage, policy: RetentionPolicy, options: { dryRun: boolean; json: boolean }): Promise<void> {
  const [{ listPhysicalBackups }, { applyPhysicalRetention, planPhysicalRetention }] = await Promise.all([
    import('../../engine/physical/list-physical-backups.js'),
    import('../../engine/backup/physical-retention.js'),
  ]);
  const plan = await planPhysicalRetention(storage, await listPhysicalBackups(storage), policy);
  const removed = options.dryRun ? undefined : await applyPhysicalRetention(storage, plan);
  if (options.json) {
    json({
      dry_run: options.dryRun,
      keep: plan.keep.map((decision) => ({ path: decision.backup.id, finished_at: decision.backup.backup.finishedAt, start_lsn: decision.backup.backup.startLsn, reasons: decision.reasons })),
      expire: plan.expire.map((decision) => ({ path: decision.backup.id, finished_at: decision.backup.backup.finishedAt, start_lsn: decision.backup.backup.startLsn })),
      wal: plan.wal.map((wal) => ({ system_id: wal.systemId, keep_from_lsn: wal.keepFromLsn ?? null, removed_files: wal.remove.map((file) => file.file), kept_files: wal.kept })),
      removed: removed ?? null,
    });
    return;
  }
  const verb = options.dryRun ? 'would delete' : 'deleted';
  for (const decision of plan.keep) console.log(`keep    ${decision.backup.backup.finishedAt}  ${decision.backup.id}  (${decision.reasons.join(', ')})`);
  for (const decision of plan.expire) console.log(`${verb} ${decision.backup.backup.finishedAt}  ${decision.backup.id}`);
  for (const wal of plan.wal) {
    if (wal.keepFromLsn === undefined) console.log(`WAL of system ${wal.systemId}: all ${wal.kept} file(s) kept (no base backup of it is kept, so none can be known unneeded)`);
    else console.log(`WAL of system ${wal.systemId}: ${verb} ${wal.remove.length} file(s) before ${wal.keepFromLsn}${wal.remove.length > 0 ? ` (${wal.remove[0]!.file} … ${wal.remove.at(-1)!.file})` : ''}; ${wal.kept} kept`);
  }
}
