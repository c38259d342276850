import type { Kysely, Selectable } from 'kysely';

import type { ArchiveResult } from '../engine/backup/backup-events.js';
import type { DrillResult } from '../engine/archive/run-drill.js';
import { keepRecordedParents } from '../engine/backup/physical-retention.js';
import { type RetentionPolicy, planRetention } from '../engine/backup/retention-policy.js';
import type { ArchiveStorage } from '../engine/storage/archive-storage.js';
import { PgferryError } from '../errors/pgferry-error.js';
import type { StoreDatabase } from './store-types.js';
import { decodeKeysetCursor, encodeKeysetCursor } from './keyset-cursor.js';
import { isUuid } from './uuid.js';

type BackupRow = Selectable<StoreDatabase['backups']>;

export type BackupState = 'complete' | 'verified' | 'drill_passed' | 'drill_failed' | 'corrupt' | 'expired';

export interface BackupView {
  id: string;
  run_id: string | null;
  backup_job_id: string | null;
  connection_id: string | null;
  storage_id: string;
  database_name: string;
  location: string;
  format: 'native' | 'pg_dump' | 'globals' | 'physical';
  compression: 'gzip' | 'zstd' | 'none';
  encrypted: boolean;
  size_bytes: number;
  files: unknown[];
  tables: unknown[];
  source_server_version: string | null;
  state: BackupState;
  verified_at: string | null;
  drill_at: string | null;
  drill_result: unknown;
  expired_at: string | null;
  created_at: string;
}

const iso = (date: Date | null) => (date === null ? null : date.toISOString());

export function toBackupView(row: BackupRow): BackupView {
  return {
    id: row.id,
    run_id: row.run_id,
    backup_job_id: row.backup_job_id,
    connection_id: row.connection_id,
    storage_id: row.storage_id,
    database_name: row.database_name,
    location: row.location,
    format: row.format,
    compression: row.compression,
    encrypted: row.encrypted,
    size_bytes: Number(row.size_bytes),
    files: row.files,
    tables: row.tables,
    source_server_version: row.source_server_version,
    state: row.state as BackupState,
    verified_at: iso(row.verified_at),
    drill_at: iso(row.drill_at),
    drill_result: row.drill_result,
    expired_at: iso(row.expired_at),
    created_at: row.created_at.toISOString(),
  };
}

export interface RecordBackupInput {
  storageId: string;
  archive: ArchiveResult;
  runId?: string | undefined;
  backupJobId?: string | undefined;
  connectionId?: string | undefined;
  /** Compression the user chose (a pg_dump archive compresses inside the dump). */
  compression: 'gzip' | 'zstd' | 'none';
}

/** Records an archive a backup run wrote (one row per database / globals). */
export async function recordBackup(db: Kysely<StoreDatabase>, input: RecordBackupInput): Promise<BackupView> {
  const manifest = input.archive.manifest;
  const format = input.archive.format;
  const row = await db
    .insertInto('backups')
    .values({
      run_id: input.runId ?? null,
      backup_job_id: input.backupJobId ?? null,
      connection_id: input.connectionId ?? null,
      storage_id: input.storageId,
      database_name: input.archive.database,
      location: input.archive.path,
      format,
      compression: input.compression,
      encrypted: manifest.encryption !== null,
      encryption_key_id: manifest.encryption ? manifest.encryption.key_check.slice(0, 12) : null,
      size_bytes: input.archive.sizeBytes,
      files: JSON.stringify(manifest.files),
      tables: JSON.stringify(manifest.tables.map((table) => ({ schema: table.schema, name: table.name, rows: table.rows, bytes: table.raw_bytes }))),
      source_server_version: manifest.source.server_version,
      created_at: new Date(manifest.created_at),
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return toBackupView(row);
}

export async function getBackupRow(db: Kysely<StoreDatabase>, id: string): Promise<BackupRow> {
  const valid = isUuid(id);
  const row = valid ? await db.selectFrom('backups').selectAll().where('id', '=', id).executeTakeFirst() : undefined;
  if (!row) throw new PgferryError('PGF_NOT_FOUND', `backup ${id} does not exist; list them with \`pgferry backups list\``, { details: { backup: id } });
  return row;
}

export async function findBackupByLocation(db: Kysely<StoreDatabase>, storageId: string, location: string): Promise<BackupRow | undefined> {
  return db.selectFrom('backups').selectAll().where('storage_id', '=', storageId).where('location', '=', location).executeTakeFirst();
}

export interface BackupListQuery {
  storage_id?: string | undefined;
  backup_job_id?: string | undefined;
  connection_id?: string | undefined;
  database?: string | undefined;
  state?: BackupState | undefined;
  include_expired?: boolean | undefined;
  limit?: number | undefined;
  /** Opaque: the last item's `created_at|id` of the previous page. */
  cursor?: string | undefined;
}

/** Newest first, keyset-paged: `{ items, next_cursor }`. */
export async function listBackups(db: Kysely<StoreDatabase>, query: BackupListQuery = {}): Promise<{ items: BackupView[]; next_cursor: string | null }> {
  const limit = query.limit ?? 50;
  let select = db.selectFrom('backups').selectAll();
  if (query.storage_id) select = select.where('storage_id', '=', query.storage_id);
  if (query.backup_job_id) select = select.where('backup_job_id', '=', query.backup_job_id);
  if (query.connection_id) select = select.where('connection_id', '=', query.connection_id);
  if (query.database) select = select.where('database_name', '=', query.database);
  if (query.state) select = select.where('state', '=', query.state);
  else if (!query.include_expired) select = select.where('state', '<>', 'expired');
  if (query.cursor) {
    const { at, id } = decodeKeysetCursor(query.cursor);
    const date = new Date(at);
    select = select.where((eb) => eb.or([eb('created_at', '<', date), eb.and([eb('created_at', '=', date), eb('id', '<', id)])]));
  }
  const rows = await select.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit + 1).execute();
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  const next = rows.length > limit && last ? encodeKeysetCursor(last.created_at.toISOString(), last.id) : null;
  return { items: page.map(toBackupView), next_cursor: next };
}

/** A job's physical backups in one storage that are still kept: where they are, and their state. */
export async function listJobPhysicalBackups(db: Kysely<StoreDatabase>, backupJobId: string, storageId: string): Promise<{ location: string; state: BackupState }[]> {
  const rows = await db
    .selectFrom('backups')
    .select(['location', 'state'])
    .where('backup_job_id', '=', backupJobId)
    .where('storage_id', '=', storageId)
    .where('format', '=', 'physical')
    .where('state', '<>', 'expired')
    .execute();
  return rows.map((row) => ({ location: row.location, state: row.state as BackupState }));
}

/** Verify result: `verified` on success, `corrupt` naming nothing more (the run log has the file). */
export async function recordVerify(db: Kysely<StoreDatabase>, id: string, ok: boolean): Promise<void> {
  await db
    .updateTable('backups')
    .set(ok ? { state: 'verified', verified_at: new Date() } : { state: 'corrupt' })
    .where('id', '=', id)
    .where('state', '<>', 'expired')
    .execute();
}

export async function recordDrill(db: Kysely<StoreDatabase>, id: string, result: Pick<DrillResult, 'ok' | 'tables' | 'compared' | 'durationMs' | 'message'>): Promise<void> {
  await db
    .updateTable('backups')
    .set({ state: result.ok ? 'drill_passed' : 'drill_failed', drill_at: new Date(), drill_result: JSON.stringify(result) })
    .where('id', '=', id)
    .where('state', '<>', 'expired')
    .execute();
}

export async function markExpired(db: Kysely<StoreDatabase>, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  await db.updateTable('backups').set({ state: 'expired', expired_at: new Date() }).where('id', 'in', [...ids]).execute();
}

export interface PruneOptions {
  storageId: string;
  storage: ArchiveStorage;
  policy: RetentionPolicy;
  dryRun: boolean;
  /** Limit to one job's backups (default: every backup on the storage). */
  backupJobId?: string | undefined;
}

export interface PruneResult {
  dry_run: boolean;
  keep: { id: string; database_name: string; location: string; created_at: string; reasons: string[] }[];
  expire: { id: string; database_name: string; location: string; created_at: string; deleted_objects: number | null }[];
}

/**
 * Applies a retention policy per series (job + database + format) on one storage: expired
 * archives are deleted from the storage first, then marked expired (a failed delete leaves
 * the row as it was, so the next prune retries it).
 */
export async function pruneBackups(db: Kysely<StoreDatabase>, options: PruneOptions): Promise<PruneResult> {
  let query = db.selectFrom('backups').selectAll().where('storage_id', '=', options.storageId).where('state', '<>', 'expired');
  if (options.backupJobId) query = query.where('backup_job_id', '=', options.backupJobId);
  const rows = await query.execute();
  const series = new Map<string, BackupRow[]>();
  for (const row of rows) {
    const key = `${row.backup_job_id ?? ''}|${row.database_name}|${row.format}`;
    series.set(key, [...(series.get(key) ?? []), row]);
  }
  const result: PruneResult = { dry_run: options.dryRun, keep: [], expire: [] };
  for (const group of series.values()) {
    const plan = planRetention(
      group.map((row) => ({ id: row.id, createdAt: row.created_at, verified: row.state === 'verified' || row.state === 'drill_passed', row })),
      options.policy,
    );
    // An incremental physical backup restores only with its parents: they stay while it does.
    if (group[0]?.format === 'physical') await keepRecordedParents(options.storage, plan, (backup) => backup.row.location);
    for (const decision of plan.keep) {
      const row = decision.backup.row;
      result.keep.push({ id: row.id, database_name: row.database_name, location: row.location, created_at: row.created_at.toISOString(), reasons: decision.reasons });
    }
    for (const decision of plan.expire) {
      const row = decision.backup.row;
      let deleted: number | null = null;
      if (!options.dryRun) {
        deleted = await options.storage.remove(row.location);
        await markExpired(db, [row.id]);
      }
      result.expire.push({ id: row.id, database_name: row.database_name, location: row.location, created_at: row.created_at.toISOString(), deleted_objects: deleted });
    }
  }
  return result;
}
