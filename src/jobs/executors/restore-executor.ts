import type { RestoreEvent } from '../../engine/backup/backup-events.js';
import { runRestore } from '../../engine/restore/run-restore.js';
import { PgferryError } from '../../errors/pgferry-error.js';
import { loadAllowedConnectionTarget, openAllowedStorage } from '../../net/allowed-targets.js';
import { getBackupRow } from '../../store/backup-repository.js';
import { loadStorageTarget } from '../../store/storage-repository.js';
import type { RunExecutor, RunResult, RunTableResult } from '../run-executor.js';
import { archiveSigningKeyOf } from '../../secrets/archive-signing-key.js';

/** What `POST /api/v1/backups/:id/restore` puts in `runs.params`. */
export interface RestoreRunParams {
  backup_id: string;
  connection_id: string;
  /** The database restored into (the new one with `create`, else the connection's); shown as the run's title. */
  target_database?: string;
  /** With `create`: the new database's name. */
  database?: string;
  create?: boolean;
  clean?: boolean;
  jobs?: number;
  tables?: string[];
  /** Restore even when the archive is unsigned or its signature does not check. */
  trust_unsigned?: boolean;
}

/**
 * Restores a recorded backup into a saved connection (kind `restore` runs). The protected
 * check is repeated here: the connection may have been protected since the run was queued.
 */
export const restoreExecutor: RunExecutor = async (run, context) => {
  const params = run.params as unknown as RestoreRunParams;
  const backup = await getBackupRow(context.db, params.backup_id);
  if (backup.state === 'expired') throw new PgferryError('PGF_NOT_FOUND', `backup ${backup.id} expired; its files were deleted`);
  const connection = await loadAllowedConnectionTarget(context.db, context.secrets, context.outbound, params.connection_id);
  if (params.clean && connection.protected) {
    throw new PgferryError('PGF_RESTORE_REFUSED', `connection "${connection.name}" is protected; restore --clean is refused on it`);
  }
  const storageTarget = await loadStorageTarget(context.db, context.secrets, backup.storage_id);
  const storage = openAllowedStorage(context.outbound, storageTarget);
  const tables = new Map<string, RunTableResult>();
  const publish = () => {
    const list = [...tables.values()];
    context.progress({ tables: list, totalRows: list.reduce((sum, table) => sum + table.rows, 0), totalBytes: 0 });
  };
  const onEvent = (event: RestoreEvent) => {
    if (event.type === 'table:start') tables.set(event.table, { table: event.table, status: 'running', rows: 0, bytes: 0 });
    else if (event.type === 'table:done') tables.set(event.table, { table: event.table, status: 'succeeded', rows: event.rows, bytes: 0 });
    else if (event.type === 'phase') context.log('info', `phase ${event.phase}`);
    else if (event.type === 'log') context.log(event.level, event.message);
    publish();
  };
  try {
    const target = params.create && params.database ? { ...connection.config, database: params.database } : connection.config;
    if (params.trust_unsigned) context.log('warn', 'trust_unsigned: the archive is restored even if its signature is missing or does not check');
    context.log('info', `restoring ${backup.format} backup of ${backup.database_name} (${backup.location}) into connection "${connection.name}" database ${target.database ?? ''}${params.create ? ' (new)' : params.clean ? ' (clean)' : ''}`);
    const result = await runRestore(
      { archive: { storage, path: backup.location }, target, create: params.create, clean: params.clean, jobs: params.jobs, tables: params.tables, encryptionSecret: storageTarget.encryptionSecret, trust: { signingKey: archiveSigningKeyOf(context.secrets), trustUnsigned: params.trust_unsigned === true } },
      { signal: context.signal, onEvent },
    );
    const list = result.tables.map((table) => ({ table: table.table, status: table.status, rows: table.rows, bytes: 0 }));
    const outcome: RunResult = { status: 'succeeded', tables: list, totalRows: result.rows, totalBytes: 0 };
    return outcome;
  } finally {
    await storage.close();
  }
};
