import { Readable } from 'node:stream';

import pg from 'pg';
import picomatch from 'picomatch';

import { PgferryError, isPgferryError } from '../../errors/pgferry-error.js';
import { type ArchiveLocation, writeArchiveFile } from '../archive/archive-files.js';
import { type Compression, assertCompressionAvailable } from '../archive/compression.js';
import { type ManifestEncryption, createArchiveKey } from '../archive/encryption.js';
import { type Manifest, manifestFileName, manifestFormatVersion } from '../archive/manifest.js';
import { type ArchiveSigningKey, signManifest, signatureFileName } from '../archive/manifest-signature.js';
import { type ArchiveStorage, joinPath, readText } from '../storage/archive-storage.js';
import type { ArchiveResult, BackupEvent, RunHooks } from './backup-events.js';
import { describeTarget } from '../connection-config.js';
import { explicitConfig } from './client-config.js';
import { dumpGlobals } from './globals-backup.js';
import { backupNative } from './native-backup.js';
import { prepareIncremental } from '../physical/incremental-parent.js';
import { backupPhysical } from '../physical/physical-backup.js';
import type { ReplicationSession } from '../physical/replication-client.js';
import { backupPgDump } from './pg-dump-backup.js';
import { findPgTool } from './pg-tools.js';
import { pgferryVersion } from './pgferry-version.js';

export interface BackupOptions {
  /** The database to back up; with `allDatabases`, any database of the server (used to discover the rest). */
  source: pg.ClientConfig;
  storage: ArchiveStorage;
  /** Directory of this run inside the storage (default: `<database>-<UTC time>`, or `server-<UTC time>` with allDatabases). */
  path?: string | undefined;
  /** Directory the default-named run directory goes under (default: the storage root). */
  parent?: string | undefined;
  /** (default: native) physical: the whole cluster through the replication protocol. */
  format?: 'native' | 'pg_dump' | 'physical' | undefined;
  /** Physical: include the WAL the backup needs, so it restores alone (default: true; false = WAL from the WAL archive). */
  includeWal?: boolean | undefined;
  /**
   * Physical, PostgreSQL 17+ with summarize_wal = on: only the blocks changed since a parent
   * backup — `true` for the latest physical backup of the same system and timeline under
   * `parent`, or the parent's directory (default: a full backup).
   */
  incremental?: boolean | string | undefined;
  /** Every database that accepts connections, discovered at run time (default: false). */
  allDatabases?: boolean | undefined;
  /** Globs on database names limiting `allDatabases` (default: all). */
  databases?: readonly string[] | undefined;
  /** Also save roles, memberships and role settings (default: false). */
  globals?: boolean | undefined;
  /** Include role password hashes in the globals (default: false; needs superuser). */
  globalsWithPasswords?: boolean | undefined;
  schemas?: readonly string[] | undefined;
  tables?: readonly string[] | undefined;
  exclude?: readonly string[] | undefined;
  /** Tables dumped at once; physical: compression blocks/threads at once (default: 2). */
  jobs?: number | undefined;
  /** (default: gzip) */
  compression?: Compression | undefined;
  /** Encrypts every file with a key derived from this secret (default: not encrypted). */
  encryptionSecret?: string | undefined;
  /** Store per-table checksums in native archives, for drills (default: false). */
  checksums?: boolean | undefined;
  /** Extra directories to look for pg_dump in. */
  pgToolDirs?: readonly string[] | undefined;
  /** Signs each archive's manifest (manifest.sig); restores refuse unsigned archives unless trusted. */
  signingKey: ArchiveSigningKey | undefined;
}

/** Signs the manifest exactly as stored (read back, so the bytes signed are the bytes kept). */
async function signArchive(location: ArchiveLocation, key: ArchiveSigningKey): Promise<void> {
  const text = await readText(location.storage, joinPath(location.path, manifestFileName));
  await location.storage.write(joinPath(location.path, signatureFileName), Readable.from([Buffer.from(signManifest(text, key))]));
}

export interface BackupResult {
  path: string;
  archives: ArchiveResult[];
  failures: { database: string; code: string; message: string }[];
  durationMs: number;
}

export function timestampName(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

async function serverFacts(config: pg.ClientConfig): Promise<{ version: string; num: number; databases: string[]; database: string }> {
  const client = new pg.Client(config);
  client.on('error', () => undefined);
  await client.connect();
  try {
    const result = await client.query<{ v: string; n: string; d: string }>(
      "SELECT current_setting('server_version') AS v, current_setting('server_version_num') AS n, current_database() AS d",
    );
    const databases = await client.query<{ datname: string }>(
      'SELECT datname FROM pg_database WHERE datallowconn AND NOT datistemplate ORDER BY datname',
    );
    const row = result.rows[0];
    return { version: row?.v ?? '', num: Number(row?.n ?? 0), database: row?.d ?? '', databases: databases.rows.map((r) => r.datname) };
  } finally {
    await client.end().catch(() => undefined);
  }
}

type ArchiveWork = (location: ArchiveLocation, encryption: { key: Buffer; manifest: ManifestEncryption } | undefined) => Promise<Manifest>;

/**
 * Writes one archive at `relative`: refuses an existing one, signs the manifest, and removes
 * whatever a failure left behind. Inside a multi-archive run (`nested`), a failure is
 * recorded and the run goes on.
 */
async function writeArchive(
  options: BackupOptions,
  hooks: RunHooks<BackupEvent>,
  result: BackupResult,
  nested: boolean,
  archive: { database: string; relative: string; kind: ArchiveResult['format'] },
  work: ArchiveWork,
): Promise<void> {
  const { database, relative, kind } = archive;
  const location: ArchiveLocation = { storage: options.storage, path: relative };
  const where = options.storage.describe(relative);
  if (await options.storage.exists(joinPath(relative, manifestFileName))) {
    throw new PgferryError('PGF_CONFLICT', `${where} already holds an archive; choose another path`);
  }
  const archiveStarted = Date.now();
  hooks.onEvent?.({ type: 'archive:start', database, format: kind, location: where });
  try {
    let encryption: { key: Buffer; manifest: ManifestEncryption } | undefined;
    if (options.encryptionSecret !== undefined) {
      const key = createArchiveKey(options.encryptionSecret);
      encryption = { key: key.key, manifest: key.encryption };
    }
    const manifest = await work(location, encryption);
    if (options.signingKey) await signArchive(location, options.signingKey);
    for (const warning of manifest.warnings) hooks.onEvent?.({ type: 'log', level: 'warn', message: `${database}: ${warning}` });
    const sizeBytes = manifest.files.reduce((sum, file) => sum + file.size, 0);
    hooks.onEvent?.({ type: 'archive:done', database, location: where, sizeBytes, tables: manifest.tables.length });
    result.archives.push({ database, format: kind, path: relative, location: where, sizeBytes, durationMs: Date.now() - archiveStarted, manifest });
  } catch (error) {
    // Nothing half-written: the partial archive goes.
    await options.storage.remove(relative).catch(() => undefined);
    const wrapped = isPgferryError(error) ? error : new PgferryError('PGF_BACKUP_FAILED', `backup of ${database} failed: ${(error as Error).message}`, { cause: error });
    if (!nested || hooks.signal?.aborted) throw wrapped;
    hooks.onEvent?.({ type: 'log', level: 'error', message: wrapped.message });
    result.failures.push({ database, code: wrapped.code, message: wrapped.message });
  }
}

/** Options that select databases or tables have no meaning for a copy of the whole cluster. */
function assertPhysicalOptions(options: BackupOptions): void {
  const refused = [
    options.allDatabases ? '--all-databases' : undefined,
    options.databases?.length ? '--databases' : undefined,
    options.globals ? '--globals' : undefined,
    options.schemas?.length ? '--schemas' : undefined,
    options.tables?.length ? '--tables' : undefined,
    options.exclude?.length ? '--exclude' : undefined,
    options.checksums ? '--checksums' : undefined,
  ].filter((flag): flag is string => flag !== undefined);
  if (refused.length > 0) {
    throw new PgferryError(
      'PGF_VALIDATION_FAILED',
      `a physical backup copies the whole cluster (every database, roles included); ${refused.join(', ')} ${refused.length === 1 ? 'does' : 'do'} not apply — drop ${refused.length === 1 ? 'it' : 'them'}, or use --format native`,
    );
  }
}

/** The incremental step of a physical backup: parent chosen and checked once the replication session is open. */
function incrementalStep(options: BackupOptions) {
  const { incremental } = options;
  if (incremental === undefined || incremental === false) return undefined;
  return (session: ReplicationSession) =>
    prepareIncremental(session, {
      storage: options.storage,
      under: options.parent ?? '',
      from: typeof incremental === 'string' ? incremental : undefined,
      trust: { signingKey: options.signingKey, trustUnsigned: options.signingKey === undefined },
      encryptionSecret: options.encryptionSecret,
      server: describeTarget(options.source),
    });
}

/** Backs up one database, every database, and/or the globals — or the whole cluster (physical) — to one storage. */
export async function runBackup(options: BackupOptions, hooks: RunHooks<BackupEvent> = {}): Promise<BackupResult> {
  const started = Date.now();
  options = { ...options, source: explicitConfig(options.source) };
  const compression = options.compression ?? 'gzip';
  assertCompressionAvailable(compression);
  const format = options.format ?? 'native';
  if (options.incremental !== undefined && options.incremental !== false && format !== 'physical') {
    throw new PgferryError('PGF_VALIDATION_FAILED', '--incremental applies to --format physical only (PostgreSQL 17+ block-level incremental base backups)');
  }
  const stamp = timestampName(new Date());
  if (format === 'physical') {
    assertPhysicalOptions(options);
    const runPath = options.path ?? joinPath(options.parent ?? '', `physical-${stamp}`);
    const result: BackupResult = { path: runPath, archives: [], failures: [], durationMs: 0 };
    await writeArchive(options, hooks, result, false, { database: '(cluster)', relative: runPath, kind: 'physical' }, (location, encryption) =>
      backupPhysical({ source: options.source, location, compression, encryption, jobs: options.jobs, includeWal: options.includeWal, incremental: incrementalStep(options) }, hooks),
    );
    result.durationMs = Date.now() - started;
    return result;
  }
  const facts = await serverFacts(options.source);
  const tool = format === 'pg_dump' ? await findPgTool('pg_dump', facts.num, options.pgToolDirs) : undefined;
  let databases = options.allDatabases ? facts.databases : [facts.database];
  if (options.allDatabases && options.databases && options.databases.length > 0) {
    const match = picomatch([...options.databases]);
    databases = databases.filter((name) => match(name));
  }
  const runPath = options.path ?? joinPath(options.parent ?? '', options.allDatabases ? `server-${stamp}` : `${facts.database}-${stamp}`);
  const nested = options.allDatabases === true || options.globals === true;
  const result: BackupResult = { path: runPath, archives: [], failures: [], durationMs: 0 };
  const archiveAt = (database: string, relative: string, work: ArchiveWork, kind: ArchiveResult['format']) =>
    writeArchive(options, hooks, result, nested, { database, relative, kind }, work);

  if (options.globals) {
    await archiveAt('(globals)', joinPath(runPath, 'globals'), async (location, encryption) => {
      const client = new pg.Client(options.source);
      client.on('error', () => undefined);
      await client.connect();
      let globals;
      try {
        globals = await dumpGlobals(client, options.globalsWithPasswords === true);
      } finally {
        await client.end().catch(() => undefined);
      }
      const file = await writeArchiveFile(location, `globals.sql${encryption ? '.enc' : ''}`, Readable.from([Buffer.from(globals.sql)]), { compression: 'none', key: encryption?.key });
      const now = new Date().toISOString();
      const manifest: Manifest = {
        format: 'globals',
        format_version: manifestFormatVersion,
        created_at: now,
        finished_at: now,
        pgferry_version: pgferryVersion,
        source: { server_version: facts.version, server_version_num: facts.num, database: null },
        compression: 'none',
        encryption: encryption?.manifest ?? null,
        schemas: [],
        tables: [],
        files: [file],
        globals: { roles: globals.roles, with_passwords: options.globalsWithPasswords === true },
        warnings: [],
      };
      await location.storage.write(joinPath(location.path, manifestFileName), Readable.from([Buffer.from(JSON.stringify(manifest, null, 2))]));
      return manifest;
    }, 'globals');
  }

  for (const database of databases) {
    hooks.signal?.throwIfAborted();
    const relative = nested ? joinPath(runPath, 'databases', encodeURIComponent(database)) : runPath;
    const source = { ...options.source, database };
    await archiveAt(database, relative, (location, encryption) =>
      tool
        ? backupPgDump({ source, database, location, tool, server: facts, schemas: options.schemas, tables: options.tables, compression, encryption }, hooks)
        : backupNative(
            { source, database, location, schemas: options.schemas, tables: options.tables, exclude: options.exclude, jobs: options.jobs ?? 2, compression, encryption, checksums: options.checksums },
            hooks,
          ),
    format);
  }
  result.durationMs = Date.now() - started;
  if (result.archives.length === 0 && result.failures.length > 0) {
    throw new PgferryError('PGF_BACKUP_FAILED', `every backup of the run failed; first: ${result.failures[0]?.message ?? ''}`);
  }
  return result;
}
