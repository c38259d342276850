import { spawn } from 'node:child_process';
import { Readable } from 'node:stream';

import type pg from 'pg';

import { PgferryError } from '../../errors/pgferry-error.js';
import { type ArchiveLocation, writeArchiveFile } from '../archive/archive-files.js';
import type { Compression } from '../archive/compression.js';
import type { ManifestEncryption } from '../archive/encryption.js';
import { type Manifest, manifestFileName, manifestFormatVersion } from '../archive/manifest.js';
import { joinPath } from '../storage/archive-storage.js';
import type { BackupEvent, RunHooks } from './backup-events.js';
import { type PgTool, libpqEnv } from './pg-tools.js';
import { pgferryVersion } from './pgferry-version.js';

export interface PgDumpBackupOptions {
  source: pg.ClientConfig;
  database: string;
  location: ArchiveLocation;
  tool: PgTool;
  server: { version: string; num: number };
  schemas?: readonly string[] | undefined;
  tables?: readonly string[] | undefined;
  compression: Compression;
  encryption?: { key: Buffer; manifest: ManifestEncryption } | undefined;
}

/**
 * `pg_dump -Fc` streamed to the storage (no temporary file). gzip is pg_dump's own
 * compression (so pg_restore can read the file as is); zstd is applied around it.
 */
export async function backupPgDump(options: PgDumpBackupOptions, hooks: RunHooks<BackupEvent>): Promise<Manifest> {
  const createdAt = new Date().toISOString();
  const args = ['--format=custom', `--compress=${options.compression === 'gzip' ? 6 : 0}`, '--no-password'];
  for (const schema of options.schemas ?? []) args.push(`--schema=${schema}`);
  for (const table of options.tables ?? []) args.push(`--table=${table}`);
  const child = spawn(options.tool.path, args, {
    env: libpqEnv({ ...options.source, database: options.database }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    if (stderr.length < 4000) stderr += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  const onAbort = () => child.kill('SIGTERM');
  hooks.signal?.addEventListener('abort', onAbort, { once: true });
  const outer: Compression = options.compression === 'zstd' ? 'zstd' : 'none';
  const name = `dump.pgdump${outer === 'zstd' ? '.zst' : ''}${options.encryption ? '.enc' : ''}`;
  hooks.onEvent?.({ type: 'log', level: 'info', message: `using ${options.tool.path} (PostgreSQL ${options.tool.version}) for a PostgreSQL ${options.server.version} server` });
  try {
    const file = await writeArchiveFile(options.location, name, child.stdout as Readable, {
      compression: outer,
      key: options.encryption?.key,
      signal: hooks.signal,
    });
    const code = await exited;
    if (code !== 0) {
      throw new PgferryError('PGF_PG_DUMP_FAILED', `pg_dump of database "${options.database}" exited with ${String(code)}: ${stderr.trim() || 'no output'}`);
    }
    const manifest: Manifest = {
      format: 'pg_dump',
      format_version: manifestFormatVersion,
      created_at: createdAt,
      finished_at: new Date().toISOString(),
      pgferry_version: pgferryVersion,
      source: { server_version: options.server.version, server_version_num: options.server.num, database: options.database },
      compression: outer,
      encryption: options.encryption?.manifest ?? null,
      schemas: [...(options.schemas ?? [])],
      tables: [],
      files: [file],
      pg_dump: { binary: options.tool.path, version: options.tool.version },
      warnings: [],
    };
    await options.location.storage.write(joinPath(options.location.path, manifestFileName), Readable.from([Buffer.from(JSON.stringify(manifest, null, 2))]));
    return manifest;
  } catch (error) {
    child.kill('SIGTERM');
    await exited.catch(() => undefined);
    if (error instanceof PgferryError) throw error;
    throw new PgferryError('PGF_PG_DUMP_FAILED', `pg_dump of database "${options.database}" failed: ${(error as Error).message}${stderr ? ` (${stderr.trim()})` : ''}`, { cause: error });
  } finally {
    hooks.signal?.removeEventListener('abort', onAbort);
  }
}
