import type { Command } from 'commander';

import { runDrill } from '../../engine/archive/run-drill.js';
import { PgferryError } from '../../errors/pgferry-error.js';
import { recordDrill } from '../../store/backup-repository.js';
import { physicalDrill } from './drill-physical.js';
import { encryptionSecret, json, positiveInt, progressPrinter, resolveArchive, resolveConnection, withLazyStore } from './backup-cli-support.js';

export function registerDrillCommand(program: Command): void {
  program
    .command('drill')
    .description('Restore an archive into a scratch database, compare it with the manifest, drop it')
    .argument('<archive>', 'archive directory, s3://bucket/prefix/archive, STORAGE:path or a backup id')
    .option('--on <url|name>', 'server to drill on (any database of it; a scratch database is created beside it)')
    .option('--physical-from <url|name>', 'a physical backup: the source to record a restore point and table checksums on; the backup is recovered to that point in a scratch directory and compared')
    .option('--jobs <n>', 'tables loaded at once', positiveInt('--jobs'), 2)
    .option('--keep', 'keep the scratch database for inspection')
    .option('--encryption-key-env <var>', 'environment variable holding the archive secret')
    .option('--trust-unsigned', 'drill an archive this pgferry did not sign')
    .option('--json', 'machine-readable output')
    .action(async (archiveText: string, flags: { on?: string; physicalFrom?: string; jobs: number; keep?: boolean; encryptionKeyEnv?: string; trustUnsigned?: boolean; json?: boolean }) => {
      const { on, physicalFrom } = flags;
      if ((on === undefined) === (physicalFrom === undefined)) throw new PgferryError('PGF_VALIDATION_FAILED', 'give --on SERVER (an archive) or --physical-from SOURCE (a physical backup), not both or neither');
      await withLazyStore(async (lazy) => {
        const archive = await resolveArchive(archiveText, lazy);
        try {
          if (physicalFrom !== undefined) return await physicalDrill(archiveText, archive, lazy, { ...flags, physicalFrom });
          const server = await resolveConnection(on!, lazy);
          const result = await runDrill(
            { archive: archive.location, server: server.config, jobs: flags.jobs, keep: flags.keep, encryptionSecret: encryptionSecret(flags.encryptionKeyEnv, archive.saved), trust: await lazy.trust(flags.trustUnsigned === true) },
            { onEvent: progressPrinter(!flags.json) },
          );
          if (archive.backupId) await recordDrill((await lazy.get()).store.db, archive.backupId, result);
          if (flags.json) json({ ...result, backup_id: archive.backupId ?? null });
          else console.log(`${result.ok ? 'drill passed' : 'DRILL FAILED'}: ${result.message} (${result.durationMs} ms)`);
          if (!result.ok) throw new PgferryError('PGF_DRILL_FAILED', result.message);
        } finally {
          await archive.location.storage.close();
        }
      });
    });
}
