import type { Kysely } from 'kysely';
import type pg from 'pg';

import type { BackupResult } from '../../engine/backup/run-backup.js';
import { assertIncrementalSource, planIncrementalRun } from '../../engine/backup/incremental-cadence.js';
import type { ArchiveStorage } from '../../engine/storage/archive-storage.js';
import { PgferryError, isPgferryError } from '../../errors/pgferry-error.js';
import { listJobPhysicalBackups } from '../../store/backup-repository.js';
import type { StoreDatabase } from '../../store/store-types.js';
import type { RunContext } from '../run-executor.js';

// A physical backup job with incremental_full_every: each run builds on the job's previous
// backup in the storage, every Nth run (or when there is nothing sound to build on) is full.

/** Fails the run, naming the job's setting, when the server cannot take incremental backups. */
export async function assertIncrementalJobSource(jobName: string, fullEvery: number, source: pg.ClientConfig): Promise<void> {
  try {
    await assertIncrementalSource(source);
  } catch (error) {
    if (!isPgferryError(error) || error.code !== 'PGF_INCREMENTAL_UNAVAILABLE') throw error;
    throw new PgferryError(
      'PGF_INCREMENTAL_UNAVAILABLE',
      `backup job "${jobName}" takes incremental backups (incremental_full_every ${fullEvery}), but ${error.message}; or clear the job's incremental_full_every to take a full backup every run`,
      { cause: error },
    );
  }
}

/**
 * The parent cannot be built on: the chain check refused it, or the server did (SQLSTATE 55000
 * from BASE_BACKUP INCREMENTAL: no WAL summaries since the parent — summarize_wal was off then,
 * or wal_summary_keep_time removed them — or the parent's timeline is not in this server's history).
 */
function parentRefused(error: unknown): boolean {
  if (!isPgferryError(error)) return false;
  return error.code === 'PGF_BACKUP_CHAIN_BROKEN' || (error.code === 'PGF_BACKUP_FAILED' && error.details?.sqlstate === '55000');
}

export interface IncrementalRunTarget {
  db: Kysely<StoreDatabase>;
  jobId: string;
  storageId: string;
  storageName: string;
  storage: ArchiveStorage;
  /** The job's folder in the storage: the only place a parent is looked for. */
  folder: string;
  fullEvery: number;
}

/**
 * Decides full or incremental for one storage, logs which, and takes the backup. A parent
 * the chain check or the server refuses (another cluster or timeline, a cut chain, WAL
 * summaries gone) makes the run take a full backup instead, with the reason logged: the next
 * runs build on that one.
 */
export async function incrementalRun(context: RunContext, target: IncrementalRunTarget, backupTo: (parent: string | undefined) => Promise<BackupResult>): Promise<BackupResult> {
  const recorded = await listJobPhysicalBackups(target.db, target.jobId, target.storageId);
  const own = recorded.map((backup) => ({ path: backup.location, unusable: backup.state === 'corrupt' ? 'was found corrupt by verify' : undefined }));
  const decision = await planIncrementalRun({ storage: target.storage, under: target.folder, fullEvery: target.fullEvery, own });
  if (decision.kind === 'full') {
    context.log('info', `${target.storageName}: full backup (${decision.reason})`);
    return backupTo(undefined);
  }
  const parentName = decision.parent.slice(target.folder.length + 1);
  context.log('info', `${target.storageName}: incremental on ${parentName} (${decision.sinceFull + 1} of at most ${target.fullEvery - 1} since the full backup)`);
  try {
    return await backupTo(parentName);
  } catch (error) {
    if (context.signal.aborted || !parentRefused(error)) throw error;
    context.log('warn', `${target.storageName}: ${parentName} cannot be the parent of an incremental backup: ${(error as PgferryError).message}`);
    context.log('info', `${target.storageName}: full backup (instead of the incremental on ${parentName})`);
    return backupTo(undefined);
  }
}
