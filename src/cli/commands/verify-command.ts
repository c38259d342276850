import type { Command } from 'commander';

import { verifyArchive } from '../../engine/archive/verify-archive.js';
import { recordVerify } from '../../store/backup-repository.js';
import { json, resolveArchive, withLazyStore } from './backup-cli-support.js';

export function registerVerifyCommand(program: Command): void {
  program
    .command('verify')
    .description("Re-read an archive and check every file's sha256 against its manifest")
    .argument('<archive>', 'archive directory, s3://bucket/prefix/archive, STORAGE:path or a backup id')
    .option('--json', 'machine-readable output')
    .action(async (archiveText: string, flags: { json?: boolean }) => {
      await withLazyStore(async (lazy) => {
        const archive = await resolveArchive(archiveText, lazy);
        try {
          const result = await verifyArchive(archive.location);
          if (archive.backupId) await recordVerify((await lazy.get()).store.db, archive.backupId, result.ok);
          if (flags.json) json({ ok: result.ok, archive: result.archive, checked_bytes: result.checkedBytes, files: result.files, backup_id: archive.backupId ?? null });
          else console.log(result.ok ? `ok: ${result.files.length} files, ${result.checkedBytes} bytes match ${result.archive}/manifest.json` : `CORRUPT: ${result.files.filter((f) => !f.ok).map((f) => `${f.path} (${f.reason ?? ''})`).join(', ')}`);
          if (result.error) throw result.error;
        } finally {
          await archive.location.storage.close();
        }
      });
    });
}
