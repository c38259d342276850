import { runDrill } from '../../engine/archive/run-drill.js';
import type { BackupEvent } from '../../engine/backup/backup-events.js';
import { runBackup, timestampName } from '../../engine/backup/run-backup.js';
import { assertIncrementalJobSource, incrementalRun } from './incremental-backup-run.js';
import { PgferryError } from '../../errors/pgferry-error.js';
import { loadAllowedConnectionTarget, openAllowedStorage } from '../../net/allowed-targets.js';
import { getBackupJob } from '../../store/backup-job-repository.js';
import { pruneBackups, recordBackup, recordDrill } from '../../store/backup-repository.js';
import { loadStorageTarget } from '../../store/storage-repository.js';
import type { RunContext, RunExecutor, RunResult, RunTableResult } from '../run-executor.js';
import { archiveSigningKeyOf } from '../../secrets/archive-signing-key.js';

function logEvent(context: RunContext, tables: Map<string, RunTableResult>, storageName: string, event: BackupEvent): void {
  switch (event.type) {
    case 'archive:start':
      context.log('info', `${storageName}: backing up ${event.database} (${event.format}) to ${event.location}`);
      break;
    case 'table:start':
      tables.set(`${event.database}:${event.table}`, { table: `${event.database}.${event.table}`, status: 'running', rows: 0, bytes: 0 });
      break;
    case 'table:done':
      tables.set(`${event.database}:${event.table}`, { table: `${event.database}.${event.table}`, status: 'succeeded', rows: event.rows, bytes: event.bytes, stored_bytes: event.storedBytes });
      context.log('debug', `${event.table}: ${event.rows} rows, ${event.bytes} bytes`, { table: event.table });
      break;
    case 'archive:done':
      context.log('info', `${storageName}: ${event.database} done, ${event.tables} table(s), ${event.sizeBytes} bytes at ${event.location}`);
      break;
    case 'log':
      context.log(event.level, event.message);
      break;
  }
}

/** A storage-safe folder name for the job: letters, digits, dot, dash, underscore. */
function jobFolder(name: string): string {
  return name.normalize('NFKD').replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 80) || 'job';
}

/**
 * Runs a saved backup job: one backup per storage, each archive recorded, then the job's
 * retention applied and, when asked, a restore drill of the new archive.
 */
export const backupExecutor: RunExecutor = async (run, context) => {
  if (!run.backup_job_id) throw new PgferryError('PGF_NOT_FOUND', `run ${run.id} has no backup job (it was deleted); nothing to run`);
  const job = await getBackupJob(context.db, run.backup_job_id);
  const source = await loadAllowedConnectionTarget(context.db, context.secrets, context.outbound, job.connection_id);
  const { selection, retention, verification } = job;
  const fullEvery = job.format === 'physical' ? job.incremental_full_every : null;
  // A job set to take incrementals must not quietly take full backups on a server that cannot.
  if (fullEvery) await assertIncrementalJobSource(job.name, fullEvery, source.config);
  const tables = new Map<string, RunTableResult>();
  const failures: string[] = [];
  const publish = () => {
    const list = [...tables.values()];
    context.progress({ tables: list, totalRows: list.reduce((sum, table) => sum + table.rows, 0), totalBytes: list.reduce((sum, table) => sum + table.bytes, 0) });
  };

  for (const storageId of job.storage_ids) {
    if (context.signal.aborted) break;
    const target = await loadStorageTarget(context.db, context.secrets, storageId);
    if (job.encrypt && !target.encryptionSecret) {
      throw new PgferryError('PGF_ENCRYPTION_KEY_REQUIRED', `backup job "${job.name}" encrypts its archives but storage "${target.name}" has no encryption secret; set one on the storage`);
    }
    const storage = openAllowedStorage(context.outbound, target);
    try {
      const folder = jobFolder(job.name);
      const backupTo = (incremental: string | undefined) =>
        runBackup(
          {
            source: source.config,
            storage,
            signingKey: archiveSigningKeyOf(context.secrets),
            // One folder per job; the run id keeps two runs in the same second apart.
            path: `${folder}/${job.all_databases ? 'server' : String(source.config.database ?? 'database')}-${timestampName(new Date())}-${run.id.slice(0, 8)}`,
            // An incremental's parent is looked for in the job's folder only.
            parent: folder,
            format: job.format,
            incremental,
            allDatabases: job.all_databases,
            globals: job.include_globals,
            schemas: selection.schemas,
            tables: [...(selection.tables ?? []), ...(selection.include ?? [])].length > 0 ? [...(selection.tables ?? []), ...(selection.include ?? [])] : undefined,
            exclude: selection.exclude,
            jobs: job.parallelism,
            compression: job.compression,
            encryptionSecret: job.encrypt ? target.encryptionSecret : undefined,
            checksums: verification.drill === true,
          },
          {
            signal: context.signal,
            onEvent: (event) => {
              logEvent(context, tables, target.name, event);
              publish();
            },
          },
        );
      const result = fullEvery ? await incrementalRun(context, { db: context.db, jobId: job.id, storageId: target.id, storageName: target.name, storage, folder, fullEvery }, backupTo) : await backupTo(undefined);
      for (const failure of result.failures) failures.push(`${target.name}/${failure.database}: ${failure.message}`);
      const recorded = [];
      for (const archive of result.archives) {
        recorded.push(await recordBackup(context.db, { storageId: target.id, archive, runId: run.id, backupJobId: job.id, connectionId: source.id, compression: job.compression }));
      }
      if (context.signal.aborted || result.failures.length > 0) continue;
      if (Object.values(retention).some((value) => typeof value === 'number' && value > 0)) {
        const pruned = await pruneBackups(context.db, {
          storageId: target.id,
          storage,
          policy: { keepLast: retention.keep_last, daily: retention.daily, weekly: retention.weekly, monthly: retention.monthly },
          dryRun: false,
          backupJobId: job.id,
        });
        context.log('info', `${target.name}: retention kept ${pruned.keep.length}, expired ${pruned.expire.length} backup(s)`);
      }
      if (verification.drill) {
        const every = verification.drill_every ?? 1;
        const count = Number((await context.db.selectFrom('backups').select((eb) => eb.fn.countAll().as('n')).where('backup_job_id', '=', job.id).executeTakeFirst())?.n ?? 0);
        if (count % every === 0) {
          for (const [index, archive] of result.archives.entries()) {
            if (archive.format === 'globals') continue;
            const drill = await runDrill({ archive: { storage, path: archive.path }, server: source.config, jobs: job.parallelism, encryptionSecret: job.encrypt ? target.encryptionSecret : undefined, trust: { signingKey: archiveSigningKeyOf(context.secrets) } }, { signal: context.signal });
            const backupId = recorded[index]?.id;
            if (backupId) await recordDrill(context.db, backupId, drill);
            context.log(drill.ok ? 'info' : 'error', `restore drill of ${archive.database}: ${drill.ok ? 'passed' : 'FAILED'} — ${drill.message}`);
            if (!drill.ok) failures.push(`drill of ${archive.database} failed: ${drill.message}`);
          }
        }
      }
    } finally {
      await storage.close();
    }
  }
  const list = [...tables.values()];
  const result: RunResult = {
    status: failures.length > 0 || context.signal.aborted ? 'failed' : 'succeeded',
    tables: list,
    totalRows: list.reduce((sum, table) => sum + table.rows, 0),
    totalBytes: list.reduce((sum, table) => sum + table.bytes, 0),
  };
  if (failures.length > 0) {
    result.errorCode = 'PGF_BACKUP_FAILED';
    result.errorMessage = failures.join('; ');
  }
  return result;
};
