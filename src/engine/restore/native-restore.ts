import { pipeline } from 'node:stream/promises';

import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import picomatch from 'picomatch';

import { PgferryError } from '../../errors/pgferry-error.js';
import { type ArchiveLocation, readArchiveFile, readArchiveText } from '../archive/archive-files.js';
import type { Manifest, ManifestFile, ManifestTable } from '../archive/manifest.js';
import type { PostDataPlan } from '../backup/archive-schema.js';
import type { RestoreEvent, RunHooks } from '../backup/backup-events.js';
import { openSession } from '../sql/session-settings.js';
import { displayName, qualified, quoteIdentList } from '../sql/quote-ident.js';

export interface NativeRestoreOptions {
  archive: ArchiveLocation;
  manifest: Manifest;
  key: Buffer | undefined;
  target: pg.ClientConfig;
  clean: boolean;
  jobs: number;
  tables?: readonly string[] | undefined;
}

export interface RestoredTable {
  table: string;
  rows: number;
  status: 'succeeded' | 'skipped';
}

function fileEntry(manifest: Manifest, path: string): ManifestFile {
  const found = manifest.files.find((file) => file.path === path || file.path === `${path}.enc`);
  if (!found) throw new PgferryError('PGF_ARCHIVE_INVALID', `the manifest lists no ${path}; the archive is incomplete`);
  return found;
}

/** Runs `work` over `items` with at most `jobs` sessions, each opened once. */
async function withSessions<T>(config: pg.ClientConfig, jobs: number, items: readonly T[], hooks: RunHooks<RestoreEvent>, work: (client: pg.Client, item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed: unknown;
  const worker = async () => {
    const client = await openSession(config, 'destination', 'pgferry restore');
    try {
      while (failed === undefined) {
        hooks.signal?.throwIfAborted();
        const item = items[next];
        next += 1;
        if (item === undefined) return;
        await work(client, item);
      }
    } catch (error) {
      failed ??= error;
    } finally {
      await client.end().catch(() => undefined);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(jobs, items.length)) }, worker));
  if (failed !== undefined) throw failed;
}

async function loadTable(client: pg.Client, options: NativeRestoreOptions, table: ManifestTable): Promise<number> {
  const name = qualified(table.schema, table.name);
  const columns = table.columns.length > 0 ? ` (${quoteIdentList(table.columns)})` : '';
  const file = fileEntry(options.manifest, table.file);
  await client.query('BEGIN');
  try {
    // Emptied in this transaction, so COPY … FREEZE can skip later vacuum work.
    await client.query(`TRUNCATE ONLY ${name}`);
    const source = await readArchiveFile(options.archive, file, { compression: options.manifest.compression, key: options.key });
    const copy = client.query(copyFrom(`COPY ${name}${columns} FROM STDIN WITH (FREEZE)`));
    await pipeline(source, copy);
    await client.query('COMMIT');
    return copy.rowCount;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    if (error instanceof PgferryError) throw error;
    throw new PgferryError('PGF_RESTORE_FAILED', `loading table ${displayName(table)} from ${table.file} failed: ${(error as Error).message}`, { cause: error });
  }
}

async function runStatement(client: pg.Client, statement: string, what: string): Promise<void> {
  try {
    await client.query(statement);
  } catch (error) {
    const first = statement.split('\n')[0]?.slice(0, 160) ?? '';
    throw new PgferryError('PGF_RESTORE_FAILED', `${what} failed at \`${first}\`: ${(error as Error).message}`, { cause: error });
  }
}

/** pre-data → data (parallel, largest first) → post-data (per-table groups in parallel, then the rest). */
export async function restoreNative(options: NativeRestoreOptions, hooks: RunHooks<RestoreEvent>): Promise<RestoredTable[]> {
  const { manifest, key, archive } = options;
  const read = (path: string) => readArchiveText(archive, fileEntry(manifest, path), { compression: 'none', key });
  const [preData, cleanSql, postDataJson] = await Promise.all([read('schema/pre-data.sql'), read('schema/clean.sql'), read('schema/post-data.json')]);
  const postData = JSON.parse(postDataJson) as PostDataPlan;

  const main = await openSession(options.target, 'destination', 'pgferry restore');
  try {
    if (options.clean) {
      hooks.onEvent?.({ type: 'phase', phase: 'clean' });
      await runStatement(main, `BEGIN;\n${cleanSql}\nCOMMIT;`, 'dropping the archive\'s objects (--clean)');
    } else {
      const existing = await main.query<{ name: string }>(
        `SELECT format('%I.%I', n.nspname, c.relname) AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE (n.nspname, c.relname) IN (SELECT * FROM unnest($1::text[], $2::text[])) LIMIT 3`,
        [manifest.tables.map((t) => t.schema), manifest.tables.map((t) => t.name)],
      );
      if (existing.rows.length > 0) {
        throw new PgferryError(
          'PGF_RESTORE_REFUSED',
          `the target database already has ${existing.rows.map((row) => row.name).join(', ')}${existing.rows.length === 3 ? ', …' : ''}; restore with --clean to drop the archive's objects first, or into a new database with --create`,
        );
      }
    }
    hooks.onEvent?.({ type: 'phase', phase: 'pre-data' });
    await runStatement(main, `BEGIN;\n${preData}\nCOMMIT;`, 'pre-data');
  } catch (error) {
    await main.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    await main.end().catch(() => undefined);
  }

  const include = options.tables && options.tables.length > 0 ? picomatch([...options.tables], { dot: true }) : undefined;
  const results: RestoredTable[] = [];
  const selected = manifest.tables.filter((table) => {
    const keep = !include || include(`${table.schema}.${table.name}`) || include(table.name);
    if (!keep) results.push({ table: displayName(table), rows: 0, status: 'skipped' });
    return keep;
  });
  const order = [...selected].sort((a, b) => b.raw_bytes - a.raw_bytes);
  hooks.onEvent?.({ type: 'phase', phase: 'data' });
  await withSessions(options.target, options.jobs, order, hooks, async (client, table) => {
    hooks.onEvent?.({ type: 'table:start', table: displayName(table) });
    const rows = await loadTable(client, options, table);
    results.push({ table: displayName(table), rows, status: 'succeeded' });
    hooks.onEvent?.({ type: 'table:done', table: displayName(table), rows });
  });

  hooks.onEvent?.({ type: 'phase', phase: 'post-data', statements: postData.groups.reduce((n, g) => n + g.statements.length, postData.final.length) });
  const partial = include !== undefined;
  const tolerate = async (work: () => Promise<void>) => {
    try {
      await work();
    } catch (error) {
      // With --tables, constraints over rows that were not restored may fail: warn, go on.
      if (!partial || !(error instanceof PgferryError)) throw error;
      hooks.onEvent?.({ type: 'log', level: 'warn', message: error.message });
    }
  };
  await withSessions(options.target, options.jobs, postData.groups, hooks, async (client, group) => {
    for (const statement of group.statements) await tolerate(() => runStatement(client, statement, `post-data of ${group.table}`));
  });
  await withSessions(options.target, 1, [postData.final], hooks, async (client, statements) => {
    for (const statement of statements) await tolerate(() => runStatement(client, statement, 'post-data'));
  });
  return results.sort((a, b) => a.table.localeCompare(b.table));
}
