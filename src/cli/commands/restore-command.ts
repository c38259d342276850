import type { Command } from 'commander';

import { verifyArchive } from '../../engine/archive/verify-archive.js';
import { restorePhysicalBackup } from '../../engine/physical/restore-physical.js';
import { runRestore } from '../../engine/restore/run-restore.js';
import { PgferryError } from '../../errors/pgferry-error.js';
import { encryptionSecret, json, list, positiveInt, progressPrinter, resolveArchive, resolveConnection, withLazyStore } from './backup-cli-support.js';

interface RestoreFlags {
  to?: string;
  toDir?: string;
  tablespaceMap?: string[];
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
    .option('--no-verify', 'skip checking every sha256 before restoring (each file is still checked as it streams)')
    .option('--trust-unsigned', "restore an archive this pgferry did not sign (an upload, another instance's, or one made before signing): its SQL runs as given")
    .option('--json', 'machine-readable output')
    .action(async (archiveText: string, flags: RestoreFlags) => {
      if (flags.toDir !== undefined) {
        if (flags.to !== undefined || flags.clean || flags.create || flags.tables) {
          throw new PgferryError('PGF_VALIDATION_FAILED', '--to-dir restores a physical backup as a whole data directory; --to, --clean, --create and --tables apply to database restores only');
        }
        await restoreToDirectory(archiveText, flags.toDir, flags);
        return;
      }
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

/** `OID=DIR` or `OLD_LOCATION=DIR` pairs, split at the last `=` (locations are absolute paths). */
function tablespaceMap(pairs: readonly string[] | undefined): Record<string, string> {
  const map: Record<string, string> = {};
  for (const pair of pairs ?? []) {
    const at = pair.lastIndexOf('=');
    if (at <= 0 || at === pair.length - 1) throw new PgferryError('PGF_VALIDATION_FAILED', `--tablespace-map: expected OID=DIR or OLD_DIR=NEW_DIR, got "${pair}"`);
    map[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return map;
}

async function restoreToDirectory(archiveText: string, toDir: string, flags: RestoreFlags): Promise<void> {
  await withLazyStore(async (lazy) => {
    const archive = await resolveArchive(archiveText, lazy);
    const controller = new AbortController();
    const stop = () => controller.abort();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    try {
      const trust = await lazy.trust(flags.trustUnsigned === true);
      if (flags.verify !== false) {
        const verified = await verifyArchive(archive.location, { trust, signal: controller.signal });
        if (verified.error) throw verified.error;
      }
      const result = await restorePhysicalBackup({
        storage: archive.location.storage,
        path: archive.location.path,
        toDir,
        encryptionSecret: encryptionSecret(flags.encryptionKeyEnv, archive.saved),
        trust,
        tablespaceMap: tablespaceMap(flags.tablespaceMap),
        signal: controller.signal,
        onEvent: progressPrinter(!flags.json),
      });
      if (flags.json) json(result);
      else {
        console.log(
          `restored physical backup (PostgreSQL ${result.serverMajor}, system ${result.systemId}, timeline ${result.timeline}, ${result.startLsn} → ${result.endLsn}) into ${result.dataDir}: ${result.files} files, ${result.bytes} bytes in ${result.durationMs} ms`,
        );
        console.log(
          result.walIncluded
            ? `the backup's WAL is included: start it with PostgreSQL ${result.serverMajor}'s pg_ctl -D ${result.dataDir} start`
            : `WAL is NOT included: the directory needs recovery from the WAL archive before it can start (restore_command fetching ${result.startLsn} … ${result.endLsn} on timeline ${result.timeline})`,
        );
      }
    } finally {
      process.removeListener('SIGINT', stop);
      process.removeListener('SIGTERM', stop);
      await archive.location.storage.close();
    }
  });
}
