import type { Command } from 'commander';

import { runRestore } from '../../engine/restore/run-restore.js';
import { PgferryError } from '../../errors/pgferry-error.js';
import { encryptionSecret, json, list, positiveInt, progressPrinter, resolveArchive, resolveConnection, withLazyStore } from './backup-cli-support.js';

interface RestoreFlags {
  to: string;
  clean?: boolean;
  create?: boolean;
  jobs: number;
  tables?: string[];
  yes?: boolean;
  encryptionKeyEnv?: string;
  verify: boolean;
  trustUnsigned?: boolean;
  json?: boolean;
}

export function registerRestoreCommand(program: Command): void {
  program
    .command('restore')
    .description('Restore an archive into a new database (--create) or an existing one (--clean --yes)')
    .argument('<archive>', 'archive directory, s3://bucket/prefix/archive, STORAGE:path or a backup id')
    .requiredOption('--to <url|name>', 'target database (postgres:// URL or saved connection)')
    .option('--clean', "drop the archive's objects in the target first (needs --yes)")
    .option('--create', 'create the target database first (refused when it exists)')
    .option('--jobs <n>', 'tables loaded at once', positiveInt('--jobs'), 2)
    .option('--tables <globs>', 'load only these tables (schema.table globs)', list)
    .option('--yes', 'confirm overwriting objects in an existing database')
    .option('--encryption-key-env <var>', 'environment variable holding the archive secret')
    .option('--no-verify', 'skip checking every sha256 before restoring (each file is still checked as it streams)')
    .option('--trust-unsigned', "restore an archive this pgferry did not sign (an upload, another instance's, or one made before signing): its SQL runs as given")
    .option('--json', 'machine-readable output')
    .action(async (archiveText: string, flags: RestoreFlags) => {
      if (flags.clean && flags.create) throw new PgferryError('PGF_VALIDATION_FAILED', '--clean and --create exclude each other: --create makes a new, empty database');
      await withLazyStore(async (lazy) => {
        const target = await resolveConnection(flags.to, lazy);
        if (flags.clean) {
          if (target.protected) {
            throw new PgferryError('PGF_RESTORE_REFUSED', `connection "${target.name}" is protected; restore --clean is refused on it (unprotect it first if you really mean to overwrite it)`);
          }
          if (!flags.yes) {
            throw new PgferryError('PGF_RESTORE_REFUSED', `restore --clean drops and replaces the archive's objects in ${target.name}; add --yes to confirm`);
          }
        }
        const archive = await resolveArchive(archiveText, lazy);
        try {
          const result = await runRestore(
            {
              archive: archive.location,
              target: target.config,
              create: flags.create,
              clean: flags.clean,
              jobs: flags.jobs,
              tables: flags.tables,
              encryptionSecret: encryptionSecret(flags.encryptionKeyEnv, archive.saved),
              verify: flags.verify === false ? false : undefined,
              trust: await lazy.trust(flags.trustUnsigned === true),
            },
            { onEvent: progressPrinter(!flags.json) },
          );
          if (flags.json) json(result);
          else console.log(`restored ${result.format} archive into ${result.database}: ${result.tables.length} tables, ${result.rows} rows in ${result.durationMs} ms`);
        } finally {
          await archive.location.storage.close();
        }
      });
    });
}
