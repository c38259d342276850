import { Readable } from 'node:stream';

import type pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';

import { PgferryError } from '../../errors/pgferry-error.js';
import { type ArchiveLocation, writeArchiveFile } from '../archive/archive-files.js';
import { type Compression, compressionSuffix } from '../archive/compression.js';
import type { ManifestEncryption } from '../archive/encryption.js';
import { CountStream } from '../archive/hash-stream.js';
import { type Manifest, type ManifestFile, type ManifestTable, manifestFileName, manifestFormatVersion } from '../archive/manifest.js';
import { SourceSnapshot } from '../snapshot/source-snapshot.js';
import { type QueryCanceller, cancelOnAbort } from '../sql/cancel-on-abort.js';
import { joinPath } from '../storage/archive-storage.js';
import { displayName, qualified, quoteIdentList } from '../sql/quote-ident.js';
import { type ArchiveSchema, loadArchiveSchema } from './archive-schema.js';
import type { BackupEvent, RunHooks } from './backup-events.js';
import { pgferryVersion } from './pgferry-version.js';
import { renderRestoreScript } from './restore-script.js';
import { tableChecksum } from './table-checksum.js';

export interface NativeBackupOptions {
  source: pg.ClientConfig;
  database: string;
  location: ArchiveLocation;
  schemas?: readonly string[] | undefined;
  tables?: readonly string[] | undefined;
  exclude?: readonly string[] | undefined;
  jobs: number;
  compression: Compression;
  encryption?: { key: Buffer; manifest: ManifestEncryption } | undefined;
  /** Also store each table's multiset checksum (one more scan per table) for drills (default: false). */
  checksums?: boolean | undefined;
}

/** Zero-padded file stem per table: names never depend on (odd) table names. */
const stem = (index: number) => String(index + 1).padStart(4, '0');

/**
 * Dumps one database: schema and every selected table's rows from one snapshot, tables in
 * parallel (largest first), each streamed through compression/encryption to the storage.
 * The manifest is written last: an archive without one is incomplete. Abort cancels the
 * statements the snapshot's sessions are running on the server (see cancelOnAbort).
 */
export async function backupNative(options: NativeBackupOptions, hooks: RunHooks<BackupEvent>): Promise<Manifest> {
  const canceller = cancelOnAbort(hooks.signal);
  try {
    return await backupWith(options, hooks, canceller);
  } finally {
    await canceller.close();
  }
}

async function backupWith(options: NativeBackupOptions, hooks: RunHooks<BackupEvent>, canceller: QueryCanceller): Promise<Manifest> {
  const createdAt = new Date().toISOString();
  const { location, compression } = options;
  const key = options.encryption?.key;
  const write = (relative: string, body: Readable) => writeArchiveFile(location, relative, body, { compression: 'none', key, signal: hooks.signal });
  const encryptedSuffix = key ? '.enc' : '';
  const snapshot = await SourceSnapshot.open(options.source, { canceller });
  let coordinatorOpen = true;
  const closeCoordinator = async () => {
    if (!coordinatorOpen) return;
    coordinatorOpen = false;
    await snapshot.close();
  };
  let schema: ArchiveSchema;
  let serverVersion: { version: string; num: number };
  try {
    const version = await snapshot.coordinator.query<{ v: string; n: string }>(
      "SELECT current_setting('server_version') AS v, current_setting('server_version_num') AS n",
    );
    serverVersion = { version: version.rows[0]?.v ?? '', num: Number(version.rows[0]?.n ?? 0) };
    schema = await loadArchiveSchema(snapshot.coordinator, options);
  } catch (error) {
    await closeCoordinator();
    throw error;
  }

  const files: ManifestFile[] = [];
  const tables: ManifestTable[] = [];
  let largeObjects: Manifest['large_objects'];
  try {
    files.push(await write(`schema/pre-data.sql${encryptedSuffix}`, Readable.from([Buffer.from(schema.preDataSql)])));
    const order = schema.tables
      .map((table, index) => ({ table, index }))
      .sort((a, b) => b.table.estimatedBytes - a.table.estimatedBytes);
    const results = new Map<number, { table: ManifestTable; file: ManifestFile; loader: ManifestFile }>();
    const workers = Math.max(1, Math.min(options.jobs, order.length));
    let next = 0;
    const readers: pg.Client[] = [];
    try {
      for (let i = 0; i < workers; i += 1) readers.push(await snapshot.openReader('pgferry backup'));
    } finally {
      // Every reader has imported the snapshot (or failed); the coordinator can go.
      await closeCoordinator();
    }
    // The first failure stops the others from starting new tables; every worker is awaited
    // before the caller removes the partial archive, so no late write recreates files.
    let failure: unknown;
    const runWorker = async (reader: pg.Client) => {
      for (;;) {
        if (failure !== undefined) return;
        hooks.signal?.throwIfAborted();
        const item = order[next];
        next += 1;
        if (!item) return;
        const { table, index } = item;
        const name = displayName(table.name);
        hooks.onEvent?.({ type: 'table:start', database: options.database, table: name });
        const dataPath = `data/${stem(index)}.copy${compression === 'none' ? '' : compressionSuffix[compression]}${encryptedSuffix}`;
        const columns = table.columns.length > 0 ? quoteIdentList(table.columns) : '';
        const copyOptions = table.format === 'binary' ? ' (FORMAT binary)' : '';
        // `COPY table (cols) TO` skips the executor; it reads no child tables (archives hold leaves).
        const select = `COPY ${qualified(table.name)}${columns ? ` (${columns})` : ''} TO STDOUT${copyOptions}`;
        const copy = reader.query(copyTo(select));
        const counter = new CountStream();
        copy.on('error', (error) => counter.destroy(error));
        let file: ManifestFile;
        try {
          file = await writeArchiveFile(location, dataPath, copy.pipe(counter), { compression, key, signal: hooks.signal });
        } catch (error) {
          throw new PgferryError('PGF_BACKUP_FAILED', `dumping table ${name} failed: ${(error as Error).message}`, { cause: error });
        }
        // psql's \copy reads this file; it keeps the identifiers out of the shell script.
        const loaderText = `\\copy ${qualified(table.name)}${columns ? ` (${columns})` : ''} FROM pstdin${copyOptions}\n`;
        const loader = await write(`data/${stem(index)}.sql${encryptedSuffix}`, Readable.from([Buffer.from(loaderText)]));
        const entry: ManifestTable = {
          schema: table.name.schema,
          name: table.name.name,
          columns: table.columns,
          rows: copy.rowCount,
          raw_bytes: counter.bytes,
          file: dataPath,
          format: table.format,
        };
        if (options.checksums) entry.checksum = await tableChecksum(reader, { schema: table.name.schema, name: table.name.name, columns: table.columns });
        results.set(index, { table: entry, file, loader });
        hooks.onEvent?.({ type: 'table:done', database: options.database, table: name, rows: copy.rowCount, bytes: counter.bytes, storedBytes: file.size });
      }
    };
    try {
      await Promise.all(
        readers.map((reader) =>
          runWorker(reader).catch((error: unknown) => {
            failure ??= error;
          }),
        ),
      );
      if (failure !== undefined) throw failure;
      // In the same snapshot as the tables that point at them.
      if (schema.largeObjects) largeObjects = await dumpLargeObjects(readers[0]!, location, { compression, key, signal: hooks.signal }, write, files);
    } finally {
      await Promise.all(readers.map((reader) => reader.end().catch(() => undefined)));
    }
    for (let index = 0; index < schema.tables.length; index += 1) {
      const result = results.get(index);
      if (!result) continue;
      tables.push(result.table);
      files.push(result.file, result.loader);
    }
    files.push(await write(`schema/post-data.sql${encryptedSuffix}`, Readable.from([Buffer.from(schema.postDataSql)])));
    files.push(await write(`schema/clean.sql${encryptedSuffix}`, Readable.from([Buffer.from(schema.cleanSql)])));
    files.push(await write(`schema/post-data.json${encryptedSuffix}`, Readable.from([Buffer.from(JSON.stringify(schema.postData))])));
  } finally {
    await closeCoordinator();
  }

  const manifest: Manifest = {
    format: 'native',
    format_version: manifestFormatVersion,
    created_at: createdAt,
    finished_at: new Date().toISOString(),
    pgferry_version: pgferryVersion,
    source: { server_version: serverVersion.version, server_version_num: serverVersion.num, database: options.database, encoding: schema.encoding },
    compression,
    encryption: options.encryption?.manifest ?? null,
    schemas: schema.schemas,
    tables,
    ...(largeObjects ? { large_objects: largeObjects } : {}),
    files,
    warnings: schema.warnings,
  };
  // restore.sh carries the expected sha256 of every file it reads, so it refuses corrupt ones too.
  const script = renderRestoreScript(manifest);
  const scriptFile = await writeArchiveFile(location, 'restore.sh', Readable.from([Buffer.from(script)]), { compression: 'none' });
  manifest.files.push(scriptFile);
  await location.storage.write(joinPath(location.path, manifestFileName), Readable.from([Buffer.from(JSON.stringify(manifest, null, 2))]));
  return manifest;
}

/**
 * Every large object's data as COPY rows (oid, data), with its loader for psql's \copy.
 * Each object is read whole (lo_get): objects up to PostgreSQL's 1 GB value limit.
 */
async function dumpLargeObjects(
  reader: pg.Client,
  location: ArchiveLocation,
  options: { compression: Compression; key: Buffer | undefined; signal: AbortSignal | undefined },
  write: (relative: string, body: Readable) => Promise<ManifestFile>,
  files: ManifestFile[],
): Promise<NonNullable<Manifest['large_objects']>> {
  const encryptedSuffix = options.key ? '.enc' : '';
  const path = `data/large-objects.copy${options.compression === 'none' ? '' : compressionSuffix[options.compression]}${encryptedSuffix}`;
  const copy = reader.query(copyTo('COPY (SELECT m.oid, pg_catalog.lo_get(m.oid) FROM pg_catalog.pg_largeobject_metadata m ORDER BY m.oid) TO STDOUT'));
  const counter = new CountStream();
  copy.on('error', (error) => counter.destroy(error));
  let file: ManifestFile;
  try {
    file = await writeArchiveFile(location, path, copy.pipe(counter), { compression: options.compression, key: options.key, signal: options.signal });
  } catch (error) {
    throw new PgferryError('PGF_BACKUP_FAILED', `dumping the large objects failed: ${(error as Error).message}`, { cause: error });
  }
  const loader = [
    'CREATE TEMP TABLE pgferry_large_objects (loid oid, data bytea);',
    '\\copy pgferry_large_objects FROM pstdin',
    'SELECT count(pg_catalog.lo_put(loid, 0, data)) AS large_objects FROM pgferry_large_objects;',
    '',
  ].join('\n');
  files.push(file, await write(`data/large-objects.sql${encryptedSuffix}`, Readable.from([Buffer.from(loader)])));
  return { file: path, count: copy.rowCount, raw_bytes: counter.bytes };
}
