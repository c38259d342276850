import path from 'node:path';

import { restorePhysicalBackup } from '../../engine/physical/restore-physical.js';
import { parseLsn } from '../../engine/wal/lsn.js';
import { type RecoveryTarget, walFetchCommand, writeRecoverySettings } from '../../engine/wal/recovery-settings.js';
import { startAndAwaitRecovery } from '../../engine/wal/start-recovery.js';
import { verifyWalChain } from '../../engine/wal/wal-chain.js';
import { PgferryError } from '../../errors/pgferry-error.js';
import { openAllowedStorage } from '../../net/allowed-targets.js';
import { archiveSigningKeyOf } from '../../secrets/archive-signing-key.js';
import { getStorageRow, loadStorageTarget } from '../../store/storage-repository.js';
import type { RunExecutor, RunResult } from '../run-executor.js';
import { freePort } from '../../engine/free-port.js';

/** What `POST /api/v1/connections/:id/protection/restore` puts in `runs.params` (a `restore` run with `physical: true`). */
export interface PhysicalRestoreRunParams {
  physical: true;
  connection_id: string;
  storage_id: string;
  /** The base backup's path in the storage. */
  backup: string;
  target: RecoveryTarget;
  /** The new data directory on the worker's host. */
  to_dir: string;
  start: boolean;
  port?: number;
}

/**
 * A physical restore to a directory with a recovery target, as `restore --to-dir --target-* [--start]`
 * does: the same engine calls; restore_command runs this pgferry's `wal fetch` (the worker's own
 * entry script and environment, so the store and its secrets are reachable from the server).
 */
export const physicalRestoreExecutor: RunExecutor = async (run, context) => {
  const params = run.params as unknown as PhysicalRestoreRunParams;
  const storageRow = await getStorageRow(context.db, params.storage_id);
  const storageTarget = await loadStorageTarget(context.db, context.secrets, params.storage_id);
  const storage = openAllowedStorage(context.outbound, storageTarget);
  try {
    context.log('info', `restoring physical backup ${params.backup} of storage "${storageRow.name}" into ${params.to_dir} with recovery to ${describeTarget(params.target)}`);
    const result = await restorePhysicalBackup({
      storage,
      path: params.backup,
      toDir: params.to_dir,
      encryptionSecret: storageTarget.encryptionSecret,
      trust: { signingKey: archiveSigningKeyOf(context.secrets), trustUnsigned: false },
      signal: context.signal,
      onEvent: (event) => {
        if (event.type === 'log') context.log(event.level, event.message);
      },
    });
    const chain = await verifyWalChain(storage, result.systemId, result.startLsn, result.timeline);
    if (!result.walIncluded && parseLsn(chain.end) < parseLsn(result.endLsn)) {
      throw new PgferryError('PGF_WAL_SEGMENT_MISSING', `the backup needs WAL ${result.startLsn} → ${result.endLsn} of system ${result.systemId} from storage "${storageRow.name}", but segment ${chain.firstMissing ?? chain.next} is missing; the backup cannot be restored from this archive`);
    }
    if (chain.firstMissing && params.target === 'latest') {
      throw new PgferryError('PGF_WAL_SEGMENT_MISSING', `the end of the WAL archive cannot be reached: segment ${chain.firstMissing} is missing (WAL resumes at ${chain.resumesAt ?? 'a later segment'}); recover to a point before ${chain.end} instead`);
    }
    if (chain.firstMissing) context.log('warn', `the WAL archive has a hole at ${chain.firstMissing}: recovery cannot go past ${chain.end}`);
    const fetch = walFetchCommand([process.execPath, path.resolve(process.argv[1] ?? 'pgferry')], storageRow.name, { systemId: result.systemId });
    await writeRecoverySettings(result.dataDir, { target: params.target, restoreCommand: fetch, action: 'promote' });
    const outcome: RunResult = { status: 'succeeded', tables: [], totalRows: 0, totalBytes: result.bytes };
    if (!params.start) {
      context.log('info', `restored into ${result.dataDir} (PostgreSQL ${result.serverMajor}); not started: pg_ctl -D ${result.dataDir} start recovers it to the target`, { data: { data_dir: result.dataDir, started: false } });
      return outcome;
    }
    const port = params.port ?? (await freePort());
    const started = await startAndAwaitRecovery({ dataDir: result.dataDir, port, signal: context.signal });
    context.log('info', `recovery reached its target (${started.stoppedAt ?? 'end of WAL'}); the cluster in ${result.dataDir} is open on port ${port}`, {
      data: { data_dir: result.dataDir, started: true, port, stopped_at: started.stoppedAt ?? null, last_transaction: started.lastTransaction ?? null },
    });
    return outcome;
  } finally {
    await storage.close();
  }
};

const describeTarget = (target: RecoveryTarget) => (target === 'latest' ? 'the end of the WAL archive' : 'time' in target ? `time ${String(target.time)}` : 'lsn' in target ? `WAL position ${target.lsn}` : `restore point "${target.name}"`);
