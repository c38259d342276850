import path from 'node:path';

import type { ChunkWorkers } from '../../engine/archive/chunk-workers.js';
import { readTrustedManifest, verifyArchive } from '../../engine/archive/verify-archive.js';
import { verifyBackupChain } from '../../engine/physical/backup-chain.js';
import { type RestorePhysicalResult, restorePhysicalBackup } from '../../engine/physical/restore-physical.js';
import { freePort } from '../../engine/free-port.js';
import { PgferryError } from '../../errors/pgferry-error.js';
import { encryptionSecret, json, progressPrinter, resolveArchive, resolveStorage, withLazyStore } from './backup-cli-support.js';
import { chainLocation } from './chain-location.js';
import { type RestoreFlags, type Target, recoveryTarget } from './restore-flags.js';

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

/** `pgferry restore BACKUP --to-dir DIR`: a physical backup written out as a data directory, with recovery settings for a target. */
export async function restoreToDirectory(archiveText: string, toDir: string, flags: RestoreFlags, threads: ChunkWorkers): Promise<void> {
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
        threads,
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

const describeTarget = (target: Target) => (target === 'latest' ? 'the end of the WAL archive' : 'time' in target ? `time ${String(target.time)}` : 'lsn' in target ? `WAL position ${target.lsn}` : `restore point "${target.name}"`);

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

