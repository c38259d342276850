import { pipeline } from 'node:stream/promises';

import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import picomatch from 'picomatch';

import { PgferryError } from '../../errors/pgferry-error.js';
import { type ArchiveLocation, readArchiveFile, readArchiveText } from '../archive/archive-files.js';
import type { Manifest, ManifestFile, ManifestTable } from '../archive/manifest.js';
import { checkArchiveFile } from '../archive/verify-archive.js';
import type { PostDataPlan } from '../backup/archive-schema.js';
import type { RestoreEvent, RunHooks } from '../backup/backup-events.js';
import { type QueryCanceller, cancelOnAbort } from '../sql/cancel-on-abort.js';
import { openSession } from '../sql/session-settings.js';
import { displayName, qualified, quoteIdentList } from '../sql/quote-ident.js';
import { postDataSteps } from './post-data-steps.js';
import { splitStatements } from '../sql/split-statements.js';
import { assertRestorableStatements } from './statement-guard.js';

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

/** Restore sessions: durability of each commit is not needed (a failed restore is re-run). Abort cancels their statements. */
async function openRestoreSession(config: pg.ClientConfig, canceller: QueryCanceller): Promise<pg.Client> {
  const client = canceller.watch(await openSession(config, 'destination', 'pgferry restore'), config);
  try {
    await client.query("SET synchronous_commit = off; SET maintenance_work_mem = '128MB'");
  } catch (error) {
    await client.end().catch(() => undefined);
    throw error;
  }
  return client;
}

/**
 * A pool of `jobs` sessions over a queue that grows while it runs. `next` hands out the
 * next piece of work (or undefined when nothing is ready yet); workers wait for `wake()`.
 * The first failure stops every worker and is rethrown.
 */
async function runPool(
  config: pg.ClientConfig,
  jobs: number,
  hooks: RunHooks<RestoreEvent>,
  canceller: QueryCanceller,
  next: () => ((client: pg.Client) => Promise<void>) | undefined | 'done',
): Promise<{ wake: () => void; done: Promise<void> }> {
  let failed: unknown;
  let waiting: (() => void)[] = [];
  const wake = () => {
    const list = waiting;
    waiting = [];
    for (const resolve of list) resolve();
  };
  const worker = async () => {
    const client = await openRestoreSession(config, canceller);
    try {
      for (;;) {
        if (failed !== undefined) return;
        hooks.signal?.throwIfAborted();
        const work = next();
        if (work === 'done') return;
        if (work === undefined) {
          await new Promise<void>((resolve) => waiting.push(resolve));
          continue;
        }
        await work(client);
        wake();
      }
    } catch (error) {
      failed ??= error;
      wake();
    } finally {
      await client.end().catch(() => undefined);
    }
  };
  const done = Promise.all(Array.from({ length: Math.max(1, jobs) }, worker)).then(() => {
    if (failed !== undefined) throw failed;
  });
  return { wake, done };
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
    const copy = client.query(copyFrom(`COPY ${name}${columns} FROM STDIN WITH (FREEZE${table.format === 'binary' ? ', FORMAT binary' : ''})`));
    await pipeline(source, copy);
    await client.query('COMMIT');
    return copy.rowCount;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    if (error instanceof PgferryError && error.code === 'PGF_ARCHIVE_CORRUPT') throw error;
    // gunzip, zstd or the server's COPY parser can trip over a damaged file before its
    // sha256 is complete: re-hash the file to tell damage from a real load error.
    const damage = await checkArchiveFile(options.archive, file);
    if (damage !== undefined) {
      throw new PgferryError('PGF_ARCHIVE_CORRUPT', `archive file ${table.file} is corrupt (${damage}); nothing of table ${displayName(table)} was committed — restore the file from another copy of the backup`, {
        details: { file: table.file },
        cause: error,
      });
    }
    if (error instanceof PgferryError) throw error;
    throw new PgferryError('PGF_RESTORE_FAILED', `loading table ${displayName(table)} from ${table.file} failed: ${(error as Error).message}`, { cause: error });
  }
}

/** Binary COPY files carry text in the source's encoding, unconverted: the target must match. */
async function checkBinaryEncoding(client: pg.Client, manifest: Manifest): Promise<void> {
  const binary = manifest.tables.filter((table) => table.format === 'binary');
  if (binary.length === 0) return;
  const source = manifest.source.encoding ?? 'UTF8';
  const target = (await client.query<{ e: string }>("SELECT current_setting('server_encoding') AS e")).rows[0]?.e ?? '';
  if (target !== source) {
    throw new PgferryError(
      'PGF_RESTORE_REFUSED',
      `the archive holds ${binary.length} table(s) in binary COPY format, which carries text in the source's ${source} encoding, but database "${client.database ?? ''}" uses ${target}; restore into a ${source} database (createdb -E ${source} -T template0, or --create on a ${source} server)`,
    );
  }
}

/** Fills the large objects pre-data created empty, from the archive's (oid, data) rows. */
async function loadLargeObjects(client: pg.Client, options: NativeRestoreOptions, entry: NonNullable<Manifest['large_objects']>): Promise<void> {
  const file = fileEntry(options.manifest, entry.file);
  await client.query('BEGIN');
  try {
    await client.query('CREATE TEMP TABLE pgferry_large_objects (loid oid, data bytea) ON COMMIT DROP');
    const source = await readArchiveFile(options.archive, file, { compression: options.manifest.compression, key: options.key });
    await pipeline(source, client.query(copyFrom('COPY pgferry_large_objects FROM STDIN')));
    await client.query('SELECT count(pg_catalog.lo_put(loid, 0, data)) FROM pgferry_large_objects');
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    if (error instanceof PgferryError) throw error;
    throw new PgferryError('PGF_RESTORE_FAILED', `loading the ${entry.count} large object(s) from ${entry.file} failed: ${(error as Error).message}`, { cause: error });
  }
}

async function runStatement(client: pg.Client, statement: string, what: string): Promise<void> {
  try {
    await client.query(statement);
  } catch (error) {
    // A user mapping's options hold its password: the message names the mapping only.
    const first = (statement.split('\n')[0] ?? '').replace(/^(CREATE USER MAPPING .*?) OPTIONS \(.*$/s, '$1 OPTIONS (…)').slice(0, 160);
    throw new PgferryError('PGF_RESTORE_FAILED', `${what} failed at \`${first}\`: ${(error as Error).message}`, { cause: error });
  }
}

const eventTriggerStatement = /^\s*(CREATE|ALTER) EVENT TRIGGER |^\s*COMMENT ON EVENT TRIGGER /i;

/** Event triggers fire on later DDL: they are created after every other statement of the restore (as pg_dump orders them). */
function lastEventTriggers(statements: readonly string[]): string[] {
  return [...statements.filter((statement) => !eventTriggerStatement.test(statement)), ...statements.filter((statement) => eventTriggerStatement.test(statement))];
}

/** Runs the statements one by one inside one transaction: all of them, or none. */
async function inOneTransaction(client: pg.Client, statements: readonly string[], what: string): Promise<void> {
  await client.query('BEGIN');
  for (const statement of statements) await runStatement(client, statement, what);
  await client.query('COMMIT');
}

/**
 * pre-data → data (parallel, largest first) → post-data (per-table groups in parallel, then
 * the rest). Abort cancels the statements running on the target (a COPY, an index build)
 * and returns once the server has been asked to stop them (see cancelOnAbort).
 */
export async function restoreNative(options: NativeRestoreOptions, hooks: RunHooks<RestoreEvent>): Promise<RestoredTable[]> {
  const canceller = cancelOnAbort(hooks.signal);
  try {
    return await restoreWith(options, hooks, canceller);
  } finally {
    await canceller.close();
  }
}

async function restoreWith(options: NativeRestoreOptions, hooks: RunHooks<RestoreEvent>, canceller: QueryCanceller): Promise<RestoredTable[]> {
  const { manifest, key, archive } = options;
  const read = (path: string) => readArchiveText(archive, fileEntry(manifest, path), { compression: 'none', key });
  const [preData, cleanSql, postDataJson] = await Promise.all([read('schema/pre-data.sql'), read('schema/clean.sql'), read('schema/post-data.json')]);
  const postData = JSON.parse(postDataJson) as PostDataPlan;
  // Every statement is checked before anything runs: a refused one leaves the target untouched.
  const preDataStatements = splitStatements(preData);
  const cleanStatements = splitStatements(cleanSql);
  assertRestorableStatements(preDataStatements, 'schema/pre-data.sql');
  assertRestorableStatements(cleanStatements, 'schema/clean.sql');
  assertRestorableStatements(postData.groups.flatMap((group) => group.statements), 'schema/post-data.json');
  assertRestorableStatements(postData.final, 'schema/post-data.json', { last: true });

  const main = canceller.watch(await openSession(options.target, 'destination', 'pgferry restore'), options.target);
  try {
    await checkBinaryEncoding(main, manifest);
    if (options.clean) {
      hooks.onEvent?.({ type: 'phase', phase: 'clean' });
      await inOneTransaction(main, cleanStatements, 'dropping the archive\'s objects (--clean)');
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
    await inOneTransaction(main, preDataStatements, 'pre-data');
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
  // A table's keys, indexes and triggers are built as soon as its rows are in, while other
  // tables still load (pgcopydb's overlap), its indexes on several sessions at once. Groups
  // of tables without rows of their own (partitioned parents, unselected tables) wait until
  // every table is loaded.
  const groups = new Map(postData.groups.map((group) => [group.table, group]));
  const leafTables = new Set(manifest.tables.map((table) => displayName(table)));
  type Step = (client: pg.Client) => Promise<void>;
  const readySteps: Step[] = [];
  let stepsRunning = 0;
  const statementsStep = (table: string, statements: readonly string[], then: () => void): Step => async (client) => {
    for (const statement of statements) await tolerate(() => runStatement(client, statement, `post-data of ${table}`));
    then();
  };
  const release = (group: PostDataPlan['groups'][number]) => {
    const steps = postDataSteps(group.statements, { keysAsIndexes: leafTables.has(group.table) });
    const releaseTail = () => {
      if (steps.tail.length > 0) readySteps.push(statementsStep(group.table, steps.tail, () => undefined));
    };
    const releaseIndexes = () => {
      let left = steps.indexes.length;
      if (left === 0) return releaseTail();
      for (const unit of steps.indexes) {
        readySteps.push(
          statementsStep(group.table, unit, () => {
            left -= 1;
            if (left === 0) releaseTail();
          }),
        );
      }
    };
    if (steps.head.length > 0) readySteps.push(statementsStep(group.table, steps.head, releaseIndexes));
    else releaseIndexes();
  };
  const dataQueue = [...order];
  let loading = 0;
  let finalStarted = false;
  let finalDone = false;
  hooks.onEvent?.({ type: 'phase', phase: 'data' });
  if (dataQueue.length === 0) {
    for (const group of groups.values()) release(group);
    groups.clear();
  }
  const pool = await runPool(options.target, options.jobs, hooks, canceller, () => {
    const step = readySteps.shift();
    if (step) {
      stepsRunning += 1;
      return async (client) => {
        try {
          await step(client);
        } finally {
          stepsRunning -= 1;
        }
      };
    }
    const table = dataQueue.shift();
    if (table) {
      loading += 1;
      return async (client) => {
        const name = displayName(table);
        hooks.onEvent?.({ type: 'table:start', table: name });
        const rows = await loadTable(client, options, table);
        results.push({ table: name, rows, status: 'succeeded' });
        hooks.onEvent?.({ type: 'table:done', table: name, rows });
        loading -= 1;
        const own = groups.get(name);
        if (own) {
          groups.delete(name);
          release(own);
        }
        if (dataQueue.length === 0 && loading === 0) {
          hooks.onEvent?.({ type: 'phase', phase: 'post-data', statements: postData.groups.reduce((n, g) => n + g.statements.length, postData.final.length) });
          for (const group of groups.values()) release(group);
          groups.clear();
        }
      };
    }
    if (loading > 0 || stepsRunning > 0) return undefined;
    if (!finalStarted) {
      // Large objects, then foreign keys, sequence values, materialized views…: once, after everything else.
      finalStarted = true;
      return async (client) => {
        if (manifest.large_objects) await loadLargeObjects(client, options, manifest.large_objects);
        for (const statement of lastEventTriggers(postData.final)) await tolerate(() => runStatement(client, statement, 'post-data'));
        finalDone = true;
      };
    }
    return finalDone ? 'done' : undefined;
  });
  await pool.done;
  return results.sort((a, b) => a.table.localeCompare(b.table));
}
