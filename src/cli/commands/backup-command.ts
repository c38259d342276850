import type { Command } from 'commander';

import { compressions, type Compression } from '../../engine/archive/compression.js';
import type { PhysicalSection } from '../../engine/archive/manifest.js';
import { runBackup } from '../../engine/backup/run-backup.js';
import { PgferryError } from '../../errors/pgferry-error.js';
import { recordBackup } from '../../store/backup-repository.js';
import { encryptionSecret, json, list, positiveInt, progressPrinter, resolveConnection, resolveStorage, withLazyStore } from './backup-cli-support.js';

interface BackupFlags {
  from: string;
  to: string;
  format: string;
  allDatabases?: boolean;
  databases?: string[];
  globals?: boolean;
  globalsWithPasswords?: boolean;
  schemas?: string[];
  tables?: string[];
  exclude?: string[];
  jobs: number;
  compress: string;
  encrypt?: boolean;
  encryptionKeyEnv?: string;
  checksums?: boolean;
  wal: string;
  incremental?: boolean;
  incrementalFrom?: string;
  name?: string;
  json?: boolean;
}

function physicalSummary(physical: PhysicalSection) {
  return {
    system_identifier: physical.system_identifier,
    server_major: physical.server_major,
    timeline: physical.timeline,
    start_lsn: physical.start_lsn,
    end_lsn: physical.end_lsn,
    wal: physical.wal,
    incremental_from: physical.incremental?.parent ?? null,
    files: physical.contents.length,
    tablespaces: physical.archives.length,
  };
}

export function registerBackupCommand(program: Command): void {
  program
    .command('backup')
    .description('Back up a database (or every database) to a directory, S3 or a saved storage')
    .requiredOption('--from <url|name>', 'postgres:// URL or saved connection')
    .requiredOption('--to <dir|s3://bucket/prefix|storage>', 'where the archive goes')
    .option('--format <format>', 'native, pg_dump, or physical (the whole cluster, through the replication protocol)', 'native')
    .option('--all-databases', 'every database on the server, discovered now')
    .option('--databases <globs>', 'with --all-databases: only these (comma-separated globs)', list)
    .option('--globals', 'also save roles, memberships and role settings')
    .option('--globals-with-passwords', 'include role password hashes (needs superuser)')
    .option('--schemas <list>', 'only these schemas (comma-separated)', list)
    .option('--tables <globs>', 'only these tables (schema.table globs)', list)
    .option('--exclude <globs>', 'leave out these tables', list)
    .option('--jobs <n>', 'tables dumped at once (physical: compression work at once)', positiveInt('--jobs'), 2)
    .option('--compress <kind>', 'gzip, zstd or none', 'gzip')
    .option('--encrypt', 'encrypt every file (secret: --encryption-key-env, PGFERRY_BACKUP_KEY or the storage)')
    .option('--encryption-key-env <var>', 'environment variable holding the encryption secret')
    .option('--checksums', 'store per-table checksums for drills (one more scan per table)')
    .option('--wal <mode>', 'physical: "included" (the backup restores alone) or "archive" (WAL comes from the WAL archive)', 'included')
    .option('--incremental', 'physical, PostgreSQL 17+ with summarize_wal = on: only the blocks changed since the latest physical backup of the same cluster in the destination')
    .option('--incremental-from <backup>', 'physical: like --incremental, on top of this backup (its directory in the destination)')
    .option('--name <path>', 'archive directory inside the destination (default: <database>-<UTC time>)')
    .option('--json', 'machine-readable output')
    .action(async (flags: BackupFlags) => {
      if (!compressions.includes(flags.compress as Compression)) throw new PgferryError('PGF_VALIDATION_FAILED', `--compress: expected gzip, zstd or none, got "${flags.compress}"`);
      if (flags.format !== 'native' && flags.format !== 'pg_dump' && flags.format !== 'physical') {
        throw new PgferryError('PGF_VALIDATION_FAILED', `--format: expected native, pg_dump or physical, got "${flags.format}"`);
      }
      if (flags.wal !== 'included' && flags.wal !== 'archive') throw new PgferryError('PGF_VALIDATION_FAILED', `--wal: expected included or archive, got "${flags.wal}"`);
      if (flags.wal === 'archive' && flags.format !== 'physical') throw new PgferryError('PGF_VALIDATION_FAILED', '--wal applies to --format physical only');
      if ((flags.incremental || flags.incrementalFrom !== undefined) && flags.format !== 'physical') {
        throw new PgferryError('PGF_VALIDATION_FAILED', '--incremental and --incremental-from apply to --format physical only');
      }
      await withLazyStore(async (lazy) => {
        const source = await resolveConnection(flags.from, lazy);
        const destination = await resolveStorage(flags.to, lazy);
        const secret = flags.encrypt ? encryptionSecret(flags.encryptionKeyEnv, destination.saved) : undefined;
        if (flags.encrypt && !secret) {
          throw new PgferryError('PGF_ENCRYPTION_KEY_REQUIRED', '--encrypt needs a secret: set PGFERRY_BACKUP_KEY, pass --encryption-key-env VAR, or give the storage an encryption secret');
        }
        const { signingKey } = await lazy.trust();
        const controller = new AbortController();
        const stop = () => controller.abort();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
        try {
          const result = await runBackup(
            {
              source: source.config,
              storage: destination.storage,
              signingKey,
              path: flags.name ? (destination.path ? `${destination.path}/${flags.name}` : flags.name) : undefined,
              parent: destination.path || undefined,
              format: flags.format as 'native' | 'pg_dump' | 'physical',
              includeWal: flags.wal === 'included',
              incremental: flags.incrementalFrom ?? flags.incremental,
              allDatabases: flags.allDatabases,
              databases: flags.databases,
              globals: flags.globals || flags.globalsWithPasswords,
              globalsWithPasswords: flags.globalsWithPasswords,
              schemas: flags.schemas,
              tables: flags.tables,
              exclude: flags.exclude,
              jobs: flags.jobs,
              compression: flags.compress as Compression,
              encryptionSecret: secret,
              checksums: flags.checksums,
            },
            { signal: controller.signal, onEvent: progressPrinter(!flags.json) },
          );
          const recorded: string[] = [];
          if (destination.saved) {
            const { store } = await lazy.get();
            for (const archive of result.archives) {
              const row = await recordBackup(store.db, { storageId: destination.saved.id, archive, connectionId: source.id, compression: flags.compress as Compression });
              recorded.push(row.id);
            }
          }
          const summary = {
            path: result.path,
            archives: result.archives.map((archive, index) => ({
              database: archive.database,
              format: archive.format,
              location: archive.location,
              size_bytes: archive.sizeBytes,
              tables: archive.manifest.tables.length,
              rows: archive.manifest.tables.reduce((sum, table) => sum + table.rows, 0),
              duration_ms: archive.durationMs,
              backup_id: recorded[index] ?? null,
              pg_dump: archive.manifest.pg_dump ?? null,
              physical: archive.manifest.physical ? physicalSummary(archive.manifest.physical) : null,
            })),
            failures: result.failures,
            duration_ms: result.durationMs,
          };
          if (flags.json) json(summary);
          else {
            for (const archive of summary.archives) {
              if (archive.physical) {
                const p = archive.physical;
                console.log(`${archive.database}: ${archive.location} (PostgreSQL ${p.server_major}, ${p.files} files, timeline ${p.timeline}, ${p.start_lsn} → ${p.end_lsn}, WAL ${p.wal},${p.incremental_from ? ` incremental on ${p.incremental_from},` : ''} ${archive.size_bytes} bytes, ${archive.duration_ms} ms)`);
                continue;
              }
              console.log(`${archive.database}: ${archive.location} (${archive.tables} tables, ${archive.rows} rows, ${archive.size_bytes} bytes, ${archive.duration_ms} ms)${archive.pg_dump ? ` with pg_dump ${archive.pg_dump.version} at ${archive.pg_dump.binary}` : ''}`);
            }
            for (const failure of result.failures) console.error(`${failure.database}: FAILED ${failure.message}`);
          }
          if (result.failures.length > 0) process.exitCode = 1;
        } finally {
          process.removeListener('SIGINT', stop);
          process.removeListener('SIGTERM', stop);
          await destination.storage.close();
        }
      });
    });
}
