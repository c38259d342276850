import type { Command } from 'commander';

import { openStorage } from '../../engine/storage/open-storage.js';
import { PgferryError } from '../../errors/pgferry-error.js';
import { listBackups, pruneBackups } from '../../store/backup-repository.js';
import { getStorageRow, storageTargetFromRow } from '../../store/storage-repository.js';
import { json, withLazyStore } from './backup-cli-support.js';
import { registerBackupsTimelineCommand } from './backups-timeline-command.js';
import { prunePhysical } from './prune-physical.js';

const count = (flag: string) => (value: string) => {
  if (!/^\d+$/.test(value) || Number(value) > 100000) throw new PgferryError('PGF_VALIDATION_FAILED', `${flag}: expected a whole number`);
  return Number(value);
};

export function registerBackupsCommand(program: Command): void {
  const backups = program.command('backups').description('Recorded backups: list and apply retention; the restorable window of physical backups');
  registerBackupsTimelineCommand(backups);

  backups
    .command('list')
    .description('List backups recorded on a storage, newest first')
    .requiredOption('--storage <name>', 'saved storage')
    .option('--all', 'include expired backups')
    .option('--limit <n>', 'at most this many', count('--limit'), 100)
    .option('--json', 'machine-readable output')
    .action(async (flags: { storage: string; all?: boolean; limit: number; json?: boolean }) => {
      await withLazyStore(async (lazy) => {
        const { store } = await lazy.get();
        const row = await getStorageRow(store.db, flags.storage);
        const page = await listBackups(store.db, { storage_id: row.id, include_expired: flags.all, limit: flags.limit });
        if (flags.json) return json(page);
        for (const item of page.items) {
          console.log(`${item.id}  ${item.created_at}  ${item.state.padEnd(12)} ${item.format.padEnd(7)} ${item.database_name}  ${item.location}  ${item.size_bytes} bytes`);
        }
      });
    });

  backups
    .command('prune')
    .description('Apply retention: keep the last N and/or daily/weekly/monthly; never the newest verified backup')
    .requiredOption('--storage <name>', 'saved storage')
    .option('--keep-last <n>', 'keep the newest N backups', count('--keep-last'))
    .option('--daily <n>', 'keep the newest backup of each of the last N days', count('--daily'))
    .option('--weekly <n>', 'keep the newest backup of each of the last N ISO weeks', count('--weekly'))
    .option('--monthly <n>', 'keep the newest backup of each of the last N months', count('--monthly'))
    .option('--dry-run', 'list what would be deleted, delete nothing')
    .option('--physical', 'physical base backups found in the storage, and the WAL before the oldest kept one')
    .option('--json', 'machine-readable output')
    .action(async (flags: { storage: string; keepLast?: number; daily?: number; weekly?: number; monthly?: number; dryRun?: boolean; physical?: boolean; json?: boolean }) => {
      const policy = { keepLast: flags.keepLast, daily: flags.daily, weekly: flags.weekly, monthly: flags.monthly };
      if (Object.values(policy).every((value) => value === undefined)) {
        throw new PgferryError('PGF_VALIDATION_FAILED', 'prune needs at least one of --keep-last, --daily, --weekly, --monthly');
      }
      await withLazyStore(async (lazy) => {
        const { store, secrets } = await lazy.get();
        const target = storageTargetFromRow(await getStorageRow(store.db, flags.storage), secrets);
        const storage = openStorage(target.spec);
        try {
          if (flags.physical) return await prunePhysical(storage, policy, { dryRun: flags.dryRun === true, json: flags.json === true });
          const result = await pruneBackups(store.db, { storageId: target.id, storage, policy, dryRun: flags.dryRun === true });
          if (flags.json) return json(result);
          for (const item of result.keep) console.log(`keep    ${item.created_at}  ${item.location}  (${item.reasons.join(', ')})`);
          for (const item of result.expire) console.log(`${flags.dryRun ? 'would delete' : 'deleted'} ${item.created_at}  ${item.location}`);
        } finally {
          await storage.close();
        }
      });
    });
}
