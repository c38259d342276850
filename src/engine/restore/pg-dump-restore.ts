import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';

import type pg from 'pg';

import { PgferryError } from '../../errors/pgferry-error.js';
import { type ArchiveLocation, readArchiveFile } from '../archive/archive-files.js';
import type { Manifest } from '../archive/manifest.js';
import type { RestoreEvent, RunHooks } from '../backup/backup-events.js';
import { findPgTool, libpqEnv } from '../backup/pg-tools.js';

export interface PgDumpRestoreOptions {
  archive: ArchiveLocation;
  manifest: Manifest;
  key: Buffer | undefined;
  target: pg.ClientConfig;
  targetVersionNum: number;
  clean: boolean;
  jobs: number;
  tables?: readonly string[] | undefined;
  pgToolDirs?: readonly string[] | undefined;
}

/**
 * pg_restore needs a seekable file for parallel restore: the dump is decrypted and
 * decompressed into a private temporary directory (removed afterwards) and restored from there.
 */
export async function restorePgDump(options: PgDumpRestoreOptions, hooks: RunHooks<RestoreEvent>): Promise<void> {
  const sourceMajor = Math.floor(options.manifest.source.server_version_num / 10000);
  const tool = await findPgTool('pg_restore', Math.max(options.targetVersionNum, sourceMajor * 10000), options.pgToolDirs);
  hooks.onEvent?.({ type: 'log', level: 'info', message: `using ${tool.path} (PostgreSQL ${tool.version})` });
  const file = options.manifest.files[0];
  if (!file) throw new PgferryError('PGF_ARCHIVE_INVALID', 'the pg_dump archive lists no dump file');
  const dir = await mkdtemp(path.join(os.tmpdir(), 'pgferry-restore-'));
  try {
    const dumpPath = path.join(dir, 'dump.pgdump');
    const source = await readArchiveFile(options.archive, file, { compression: options.manifest.compression, key: options.key });
    await pipeline(source, createWriteStream(dumpPath, { mode: 0o600 }), ...(hooks.signal ? [{ signal: hooks.signal }] : []));
    const args = ['--no-owner', '--no-acl', '--exit-on-error', '--no-password', `--jobs=${Math.max(1, options.jobs)}`, `--dbname=${options.target.database ?? ''}`];
    if (options.clean) args.push('--clean', '--if-exists');
    for (const table of options.tables ?? []) args.push(`--table=${table}`);
    args.push(dumpPath);
    hooks.onEvent?.({ type: 'phase', phase: 'data' });
    const child = spawn(tool.path, args, { env: libpqEnv(options.target), stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < 4000) stderr += chunk.toString();
    });
    const onAbort = () => child.kill('SIGTERM');
    hooks.signal?.addEventListener('abort', onAbort, { once: true });
    const code = await new Promise<number | null>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', resolve);
    }).finally(() => hooks.signal?.removeEventListener('abort', onAbort));
    if (code !== 0) {
      throw new PgferryError('PGF_PG_DUMP_FAILED', `pg_restore into "${options.target.database ?? ''}" exited with ${String(code)}: ${stderr.trim() || 'no output'}`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
