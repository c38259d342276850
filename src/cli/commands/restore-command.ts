import { createServer } from 'node:net';
import path from 'node:path';

import type { Command } from 'commander';

import { readTrustedManifest, verifyArchive } from '../../engine/archive/verify-archive.js';
import { verifyBackupChain } from '../../engine/physical/backup-chain.js';
import { type RestorePhysicalResult, restorePhysicalBackup } from '../../engine/physical/restore-physical.js';
import type { RecoverySettings } from '../../engine/wal/recovery-settings.js';
import { PgferryError } from '../../errors/pgferry-error.js';
import { encryptionSecret, json, list, positiveInt, progressPrinter, resolveArchive, resolveConnection, resolveStorage, withLazyStore } from './backup-cli-support.js';
import { chainLocation } from './chain-location.js';

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
  targetTime?: string;
  targetLsn?: string;
  targetName?: string;
  latest?: boolean;
  targetAction: string;
  walStorage?: string;
  start?: boolean;
  port?: number;
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
        await restoreToDirectory(archiveText, flags.toDir, flags);
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
    const cleanups: (() => Promise<void>)[] = [];
    try {
      const trust = await lazy.trust(flags.trustUnsigned === true);
      // An incremental backup is verified and restored with its chain, its parents beside it.
      const chain = chainLocation(archiveText, archive.location);
      cleanups.push(chain.close);
      // A full backup is not read twice: restorePhysicalBackup checks every stored byte and
      // every file as it writes them into a staging directory, removed when a check fails. An
      // incremental's chain is checked first, parents included.
      const manifest = await readTrustedManifest(archive.location, trust);
      if (flags.verify !== false && manifest.physical?.incremental) {
        const verified = await verifyArchive(archive.location, { trust, signal: controller.signal });
        if (verified.error) throw verified.error;
        const parents = await verifyBackupChain(chain.location, { trust, signal: controller.signal });
        if (parents.error) throw parents.error;
      }
      const target = recoveryTarget(flags);
      if (flags.targetAction !== 'promote' && flags.targetAction !== 'pause') throw new PgferryError('PGF_VALIDATION_FAILED', `--target-action: expected promote or pause, got "${flags.targetAction}"`);
      const walStorage = target === undefined ? undefined : (flags.walStorage ?? archive.saved?.name);
      if (target !== undefined && walStorage === undefined) {
        throw new PgferryError('PGF_VALIDATION_FAILED', `--wal-storage is needed: "${archiveText}" is not in a saved storage, so name where the WAL archive is (the directory or s3:// URL holding wal/)`);
      }
      const result = await restorePhysicalBackup({
        storage: chain.location.storage,
        path: chain.location.path,
        toDir,
        encryptionSecret: encryptionSecret(flags.encryptionKeyEnv, archive.saved),
        trust,
        tablespaceMap: tablespaceMap(flags.tablespaceMap),
        manifest,
        signal: controller.signal,
        onEvent: progressPrinter(!flags.json),
      });
      const recovery = target === undefined ? undefined : await prepareRecovery(result, target, walStorage as string, flags, controller.signal);
      if (flags.json) json(recovery ? { ...result, recovery } : result);
      else if (recovery && target !== undefined) {
        console.log(`restored physical backup (PostgreSQL ${result.serverMajor}, system ${result.systemId}) into ${result.dataDir} with recovery to ${describeTarget(target)}`);
        console.log(recovery.started ? `recovery reached its target (${recovery.started.stoppedAt ?? 'end of WAL'}); the cluster is ${recovery.started.state === 'paused' ? 'paused in recovery' : 'open'} on port ${recovery.port}` : `start it with PostgreSQL ${result.serverMajor}'s pg_ctl -D ${result.dataDir} start: it recovers to the target from the WAL archive`);
      } else {
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
      for (const cleanup of cleanups) await cleanup();
      await archive.location.storage.close();
    }
  });
}

type Target = RecoverySettings['target'];

function recoveryTarget(flags: RestoreFlags): Target | undefined {
  const given: Target[] = [];
  if (flags.targetTime !== undefined) given.push({ time: flags.targetTime });
  if (flags.targetLsn !== undefined) given.push({ lsn: flags.targetLsn });
  if (flags.targetName !== undefined) given.push({ name: flags.targetName });
  if (flags.latest) given.push('latest');
  if (given.length > 1) throw new PgferryError('PGF_VALIDATION_FAILED', '--target-time, --target-lsn, --target-name and --latest exclude each other: give one');
  return given[0];
}

const describeTarget = (target: Target) => (target === 'latest' ? 'the end of the WAL archive' : 'time' in target ? `time ${String(target.time)}` : 'lsn' in target ? `WAL position ${target.lsn}` : `restore point "${target.name}"`);

function positivePort(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 65535) throw new PgferryError('PGF_VALIDATION_FAILED', '--port: expected a port number (1–65535)');
  return Number(value);
}

/**
 * Checks the WAL the target needs, writes the recovery settings (restore_command runs this
 * pgferry's `wal fetch`), and with --start brings the cluster up until it reached the target.
 */
async function prepareRecovery(result: RestorePhysicalResult, target: Target, walStorage: string, flags: RestoreFlags, signal: AbortSignal) {
  const [{ writeRecoverySettings, walFetchCommand }, { verifyWalChain }, { startAndAwaitRecovery }, { parseLsn }] = await Promise.all([
    import('../../engine/wal/recovery-settings.js'),
    import('../../engine/wal/wal-chain.js'),
    import('../../engine/wal/start-recovery.js'),
    import('../../engine/wal/lsn.js'),
  ]);
  await withLazyStore(async (lazy) => {
    const storage = await resolveStorage(walStorage, lazy);
    try {
      const chain = await verifyWalChain(storage.storage, result.systemId, result.startLsn, result.timeline);
      if (!result.walIncluded && parseLsn(chain.end) < parseLsn(result.endLsn)) {
        throw new PgferryError('PGF_WAL_SEGMENT_MISSING', `the backup needs WAL ${result.startLsn} → ${result.endLsn} of system ${result.systemId} from ${storage.storage.describe()}, but segment ${chain.firstMissing ?? chain.next} is missing; the backup cannot be restored from this archive`);
      }
      if (chain.firstMissing && target === 'latest') {
        // Recovery would stop at the hole and open there as if it were the end: refuse rather than lose the WAL after it quietly.
        throw new PgferryError('PGF_WAL_SEGMENT_MISSING', `--latest cannot reach the end of the WAL archive: segment ${chain.firstMissing} is missing (WAL resumes at ${chain.resumesAt ?? 'a later segment'}); restore it, or recover to a point before the hole with --target-lsn ${chain.end}`);
      }
      if (chain.firstMissing) process.stderr.write(`warning: the WAL archive has a hole at ${chain.firstMissing}: recovery cannot go past ${chain.end}\n`);
    } finally {
      await storage.storage.close();
    }
  });
  const fetch = walFetchCommand([process.execPath, cliPath()], walStorage, { systemId: result.systemId, encryptionKeyEnv: flags.encryptionKeyEnv });
  await writeRecoverySettings(result.dataDir, {
    target,
    restoreCommand: fetch,
    action: flags.targetAction === 'pause' ? 'pause' : 'promote',
  });
  if (!flags.start) return { restoreCommandWritten: true, started: undefined, port: undefined };
  const port = flags.port ?? (await freePort());
  const started = await startAndAwaitRecovery({ dataDir: result.dataDir, port, signal });
  return { restoreCommandWritten: true, started, port };
}

/** The pgferry entry script this process runs (restore_command starts it again). */
function cliPath(): string {
  return path.resolve(process.argv[1] ?? 'pgferry');
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no free port'))));
    });
  });
}
