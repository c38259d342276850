import type { Command } from 'commander';

import { verifyArchive } from '../../engine/archive/verify-archive.js';
import { recordVerify } from '../../store/backup-repository.js';
import { json, resolveArchive, withLazyStore } from './backup-cli-support.js';

export function registerVerifyCommand(program: Command): void {
  program
    .command('verify')
    .description("Check an archive's signature and re-read every file's sha256 against its manifest")
    .argument('<archive>', 'archive directory, s3://bucket/prefix/archive, STORAGE:path or a backup id')
    .option('--trust-unsigned', 'pass an unsigned or foreign-signed archive whose files are intact')
    .option('--json', 'machine-readable output')
    .action(async (archiveText: string, flags: { json?: boolean; trustUnsigned?: boolean }) => {
      await withLazyStore(async (lazy) => {
        const archive = await resolveArchive(archiveText, lazy);
        try {
          const result = await verifyArchive(archive.location, { trust: await lazy.trust(flags.trustUnsigned === true) });
          if (archive.backupId) await recordVerify((await lazy.get()).store.db, archive.backupId, result.ok);
          if (flags.json) json({ ok: result.ok, archive: result.archive, signature: result.signature, checked_bytes: result.checkedBytes, files: result.files, backup_id: archive.backupId ?? null });
          else if (result.ok) console.log(`ok: signature ${result.signature}; ${result.files.length} files, ${result.checkedBytes} bytes match ${result.archive}/manifest.json`);
          else {
            const corrupt = result.files.filter((f) => !f.ok);
            console.log(corrupt.length > 0 ? `CORRUPT: ${corrupt.map((f) => `${f.path} (${f.reason ?? ''})`).join(', ')}` : `REFUSED: signature ${result.signature}`);
          }
          if (result.error) throw result.error;
        } finally {
          await archive.location.storage.close();
        }
      });
    });
}
