import type { Command } from 'commander';

import { ChunkWorkers, restoreThreadCount } from '../../engine/archive/chunk-workers.js';
import { PgferryError } from '../../errors/pgferry-error.js';
import { encryptionSecret, json, list, positiveInt, progressPrinter, resolveArchive, resolveConnection, withLazyStore } from './backup-cli-support.js';
import { type RestoreFlags, recoveryTarget } from './restore-flags.js';

export function registerRestoreCommand(program: Command): void {
  program
    .command('restore')
    .description('Restore an archive into a new database (--create) or an existing one (--clean --yes); a physical backup into a new data directory (--to-dir)')
    .argument('<archive>', 'archive directory, s3://bucket/prefix/archive, STORAGE:path or a backup id')
    .option('--to <url|name>', 'target database (postgres:// URL or saved connection)')
    .option('--to-dir <dir>', 'physical backups: the new data directory (must not exist or be empty)')
    .option('--tablespace-map <oid=dir>', 'physical backups: where a tablespace goes, by OID or old location (repeatable)', list)
    .option('--clean', "drop the archive's objects in the target first (needs --yes)")
    .option('--create', 'create the target database first (refused when it exists)')
    .option('--jobs <n>', 'tables loaded at once', positiveInt('--jobs'), 2)
    .option('--tables <globs>', 'load only these tables (schema.table globs)', list)
    .option('--yes', 'confirm overwriting objects in an existing database')
    .option('--encryption-key-env <var>', 'environment variable holding the archive secret')
    .option('--no-verify', 'logical and incremental backups: skip checking every sha256 before restoring (each file is still checked as it streams)')
    .option('--trust-unsigned', "restore an archive this pgferry did not sign (an upload, another instance's, or one made before signing): its SQL runs as given")
    .option('--target-time <ts>', 'physical: recover to this moment (e.g. "2026-12-04 09:30:00+00") from the WAL archive')
    .option('--target-lsn <lsn>', 'physical: recover to this WAL position')
    .option('--target-name <name>', 'physical: recover to this restore point (pg_create_restore_point)')
    .option('--latest', 'physical: recover through all WAL in the archive')
    .option('--target-action <action>', 'physical: at the target, promote (open read-write) or pause', 'promote')
    .option('--wal-storage <storage>', 'physical: where the WAL archive is (default: the saved storage of the backup)')
    .option('--start', 'physical: start the restored cluster and wait until recovery reached the target')
    .option('--port <n>', 'physical, with --start: the port to start on (default: a free one)', positivePort)
    .option('--json', 'machine-readable output')
    .action(async (archiveText: string, flags: RestoreFlags) => {
      if (flags.toDir !== undefined) {
        if (flags.to !== undefined || flags.clean || flags.create || flags.tables) {
          throw new PgferryError('PGF_VALIDATION_FAILED', '--to-dir restores a physical backup as a whole data directory; --to, --clean, --create and --tables apply to database restores only');
        }
        // The decoding threads boot on the other cores while this one loads the engine.
        const threads = new ChunkWorkers(restoreThreadCount(), { zstd: true });
        try {
          const { restoreToDirectory } = await import('./restore-to-directory.js');
          await restoreToDirectory(archiveText, flags.toDir, flags, threads);
        } finally {
          await threads.close();
        }
        return;
      }
      if (recoveryTarget(flags) !== undefined || flags.start) throw new PgferryError('PGF_VALIDATION_FAILED', '--target-*, --latest and --start apply to physical restores (--to-dir) only');
      if (flags.to === undefined) throw new PgferryError('PGF_VALIDATION_FAILED', 'restore needs --to DB (a database restore) or --to-dir DIR (a physical backup)');
      const to = flags.to;
      if (flags.clean && flags.create) throw new PgferryError('PGF_VALIDATION_FAILED', '--clean and --create exclude each other: --create makes a new, empty database');
      await withLazyStore(async (lazy) => {
        const target = await resolveConnection(to, lazy);
        if (flags.clean) {
          if (target.protected) {
            throw new PgferryError('PGF_RESTORE_REFUSED', `connection "${target.name}" is protected; restore --clean is refused on it (unprotect it first if you really mean to overwrite it)`);
          }
          if (!flags.yes) {
            throw new PgferryError('PGF_RESTORE_REFUSED', `restore --clean drops and replaces the archive's objects in ${target.name}; add --yes to confirm`);
          }
        }
        const archive = await resolveArchive(archiveText, lazy);
        // Loaded here: a physical restore (--to-dir) never needs the SQL client.
        const { runRestore } = await import('../../engine/restore/run-restore.js');
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

function positivePort(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 65535) throw new PgferryError('PGF_VALIDATION_FAILED', '--port: expected a port number (1–65535)');
  return Number(value);
}

