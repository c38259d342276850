import pg from 'pg';

import { PgferryError } from '../../errors/pgferry-error.js';
import { type ArchiveLocation, readArchiveText } from '../archive/archive-files.js';
import { openArchiveKey } from '../archive/encryption.js';
import type { Manifest } from '../archive/manifest.js';
import type { ArchiveTrust } from '../archive/manifest-signature.js';
import { readTrustedManifest, verifyArchive } from '../archive/verify-archive.js';
import type { RestoreEvent, RunHooks } from '../backup/backup-events.js';
import { explicitConfig } from '../backup/client-config.js';
import { quoteIdent } from '../sql/quote-ident.js';
import { type RestoredTable, restoreNative } from './native-restore.js';
import { restorePgDump } from './pg-dump-restore.js';

export interface RestoreOptions {
  archive: ArchiveLocation;
  /** The database to restore into (`database` is created first with `create`). */
  target: pg.ClientConfig;
  /** Create `target.database` (refused when it exists) (default: false). */
  create?: boolean | undefined;
  /** Drop the archive's objects in the target first (default: false; refused when they exist). */
  clean?: boolean | undefined;
  /** Tables loaded at once (default: 2). */
  jobs?: number | undefined;
  /** Globs on `schema.table`: load only these tables' rows (the schema is restored whole). */
  tables?: readonly string[] | undefined;
  encryptionSecret?: string | undefined;
  /**
   * Check every file's sha256 before writing anything (default: true, except with `create`:
   * every file is still checked while it streams, each table's rows are committed only after
   * its file matched, and a failed --create restore drops its database — so the extra full
   * read of the archive buys nothing there).
   */
  verify?: boolean | undefined;
  pgToolDirs?: readonly string[] | undefined;
  /** The signing key to check the archive with, and whether an unsigned or foreign one is accepted. */
  trust: ArchiveTrust;
}

export interface RestoreResult {
  database: string;
  format: Manifest['format'];
  tables: RestoredTable[];
  rows: number;
  durationMs: number;
}

async function withClient<T>(config: pg.ClientConfig, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client(config);
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Creates the target database; refuses when it exists (restore into it with --clean instead). */
export async function createTargetDatabase(target: pg.ClientConfig): Promise<void> {
  const database = target.database;
  if (!database) throw new PgferryError('PGF_VALIDATION_FAILED', '--create needs a target database name');
  await withClient({ ...target, database: 'postgres' }, async (client) => {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if ((found.rowCount ?? 0) > 0) {
      throw new PgferryError('PGF_RESTORE_REFUSED', `database "${database}" already exists; restore into it with --clean instead of --create, or pick a new name`);
    }
    await client.query(`CREATE DATABASE ${quoteIdent(database)}`);
  });
}

async function dropDatabase(target: pg.ClientConfig): Promise<void> {
  if (!target.database) return;
  const database = target.database;
  await withClient({ ...target, database: 'postgres' }, (client) => client.query(`DROP DATABASE IF EXISTS ${quoteIdent(database)} WITH (FORCE)`));
}

export async function runRestore(options: RestoreOptions, hooks: RunHooks<RestoreEvent> = {}): Promise<RestoreResult> {
  const started = Date.now();
  options = { ...options, target: explicitConfig(options.target) };
  const where = options.archive.storage.describe(options.archive.path);
  let manifest: Manifest;
  if (options.verify === false || (options.verify === undefined && options.create === true)) {
    manifest = await readTrustedManifest(options.archive, options.trust);
  } else {
    hooks.onEvent?.({ type: 'phase', phase: 'verify' });
    const verified = await verifyArchive(options.archive, { trust: options.trust, ...(hooks.signal ? { signal: hooks.signal } : {}) });
    if (verified.error) throw verified.error;
    manifest = verified.manifest;
  }
  if (manifest.format === 'physical') {
    throw new PgferryError('PGF_RESTORE_REFUSED', `${where} is a physical backup of a whole cluster; restore it into a new data directory with \`pgferry restore ARCHIVE --to-dir DIR\`, not into a database`);
  }
  const key = manifest.encryption ? openArchiveKey(options.encryptionSecret, manifest.encryption, where) : undefined;
  if (options.create) await createTargetDatabase(options.target);
  const database = options.target.database ?? '';
  hooks.onEvent?.({ type: 'restore:start', database, tables: manifest.tables.length });
  const jobs = options.jobs ?? 2;
  let tables: RestoredTable[] = [];
  try {
    if (manifest.format === 'native') {
      tables = await restoreNative({ archive: options.archive, manifest, key, target: options.target, clean: options.clean === true, jobs, tables: options.tables }, hooks);
    } else if (manifest.format === 'pg_dump') {
      const versionNum = await withClient(options.target, async (client) => Number((await client.query<{ n: string }>("SELECT current_setting('server_version_num') AS n")).rows[0]?.n ?? 0));
      await restorePgDump({ archive: options.archive, manifest, key, target: options.target, targetVersionNum: versionNum, clean: options.clean === true, jobs, tables: options.tables, pgToolDirs: options.pgToolDirs }, hooks);
    } else {
      const file = manifest.files[0];
      if (!file) throw new PgferryError('PGF_ARCHIVE_INVALID', `${where} lists no globals file`);
      const sql = await readArchiveText(options.archive, file, { compression: manifest.compression, key });
      await withClient(options.target, async (client) => {
        try {
          await client.query(sql);
        } catch (error) {
          throw new PgferryError('PGF_RESTORE_FAILED', `restoring roles from ${where} failed: ${(error as Error).message}`, { cause: error });
        }
      });
    }
  } catch (error) {
    // A database this restore created is dropped again: a failed --create leaves nothing.
    if (options.create) await dropDatabase(options.target).catch(() => undefined);
    throw error;
  }
  const rows = tables.reduce((sum, table) => sum + table.rows, 0);
  const durationMs = Date.now() - started;
  hooks.onEvent?.({ type: 'restore:done', database, rows, durationMs });
  return { database, format: manifest.format, tables, rows, durationMs };
}
