import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { runBackup } from '../../src/engine/backup/run-backup.js';
import { compareTables } from '../../src/engine/diff/diff-tables.js';
import { runRestore } from '../../src/engine/restore/run-restore.js';
import { LocalStorage } from '../../src/engine/storage/local-storage.js';
import { runSync } from '../../src/engine/sync/run-sync.js';
import { activeBackends, pollUntil, terminateBackends } from '../helpers/backends.js';
import { type DatabasePair, createDatabasePair, sql } from './sync/sync-test-helpers.js';
import { testSigningKey, testTrust } from '../helpers/archive-trust.js';

/**
 * Cancelling must stop the work on the server, not only close the client's socket: a backend
 * that sends nothing (a filter that matches no row, a lock wait) does not notice a closed
 * socket and would run on for minutes. Each test aborts, then polls pg_stat_activity until no
 * backend of the run is active (generous limit, no timing assertion).
 */

/**
 * Starts `work` (held up by a lock another session owns), aborts it once a pgferry backend of
 * `database` is active, and expects every pgferry backend gone while the lock is still held
 * (a backend left waiting would stay until then) and the work not finished.
 */
async function expectAbortLeavesNoBackend(database: string, work: (signal: AbortSignal) => Promise<unknown>): Promise<void> {
  const controller = new AbortController();
  const running = work(controller.signal).then(
    () => 'finished',
    (error: unknown) => error,
  );
  const ours = (rows: { application_name: string }[]) => rows.filter((row) => row.application_name.startsWith('pgferry'));
  const waiting = await pollUntil(() => activeBackends(database), (rows) => ours(rows).length > 0);
  expect(ours(waiting).length).toBeGreaterThan(0);
  controller.abort(new Error('stop'));
  const left = await pollUntil(() => activeBackends(database), (rows) => ours(rows).length === 0);
  expect(ours(left)).toEqual([]);
  expect(await running).not.toBe('finished');
}

describe('cancel stops the server-side work', () => {
  let pair: DatabasePair;
  let storageDir: string;

  beforeAll(async () => {
    pair = await createDatabasePair();
    // 3000 rows × 50 ms: the filtered read takes minutes when nothing stops it.
    await sql(
      pair.source.url,
      `CREATE SCHEMA app;
       CREATE TABLE app.slow (id int PRIMARY KEY, note text);
       INSERT INTO app.slow SELECT i, 'row ' || i FROM generate_series(1, 3000) i;
       CREATE FUNCTION app.pause(i int) RETURNS int LANGUAGE sql VOLATILE AS 'SELECT i FROM (SELECT pg_sleep(0.05)) s';
       CREATE TABLE app.locked (id int PRIMARY KEY);
       INSERT INTO app.locked SELECT generate_series(1, 10);
       ANALYZE;`,
    );
    const { mkdtemp } = await import('node:fs/promises');
    const os = await import('node:os');
    const path = await import('node:path');
    storageDir = await mkdtemp(path.join(os.tmpdir(), 'pgferry-cancel-'));
  });

  afterEach(async () => {
    await terminateBackends(pair.source.name);
    await terminateBackends(pair.destination.name);
  });

  afterAll(async () => {
    const { rm } = await import('node:fs/promises');
    await rm(storageDir, { recursive: true, force: true });
  });

  it('a cancelled sync leaves no source backend running its filtered read', async () => {
    const controller = new AbortController();
    const running = runSync(
      // Matches no row: the COPY sends nothing while it scans, so a closed socket goes unnoticed.
      { source: pair.source.config, destination: pair.destination.config, schemas: ['app'], tables: ['app.slow'], where: 'app.pause(id) < 0' },
      { signal: controller.signal },
    );
    const reading = await pollUntil(
      () => activeBackends(pair.source.name),
      (rows) => rows.some((row) => row.query.includes('app.pause')),
    );
    expect(reading.map((row) => row.query).join('\n')).toContain('app.pause');
    controller.abort(new Error('stop'));
    const result = await running;
    expect(result.status).toBe('cancelled');
    expect(result.tables[0]).toMatchObject({ status: 'failed', error: { code: 'PGF_RUN_CANCELLED' } });
    const left = await pollUntil(
      () => activeBackends(pair.source.name),
      (rows) => rows.length === 0,
    );
    expect(left).toEqual([]);
  });

  it('a cancelled backup leaves no source backend waiting for its table', async () => {
    // Another session holds the table: the backup's COPY waits for the lock, sending nothing.
    const pg = (await import('pg')).default;
    const holder = new pg.Client({ connectionString: pair.source.url, application_name: 'lock holder' });
    await holder.connect();
    try {
      await holder.query('BEGIN; LOCK TABLE app.locked IN ACCESS EXCLUSIVE MODE');
      await expectAbortLeavesNoBackend(pair.source.name, (signal) =>
        runBackup({ signingKey: testSigningKey, source: pair.source.config, storage: new LocalStorage(storageDir), path: 'cancelled', tables: ['app.locked'], compression: 'none' }, { signal }),
      );
    } finally {
      await holder.query('ROLLBACK').catch(() => undefined);
      await holder.end().catch(() => undefined);
    }
  });

  it('a cancelled restore leaves no target backend waiting to drop a table', async () => {
    const storage = new LocalStorage(storageDir);
    await runBackup({ signingKey: testSigningKey, source: pair.source.config, storage, path: 'whole', compression: 'none' });
    const archive = { storage, path: 'whole' };
    await runRestore({ trust: testTrust, archive, target: pair.destination.config, clean: true });
    // A reader of the target holds app.locked: the --clean restore's DROP waits for it.
    const pg = (await import('pg')).default;
    const holder = new pg.Client({ connectionString: pair.destination.url, application_name: 'lock holder' });
    await holder.connect();
    try {
      await holder.query('BEGIN; LOCK TABLE app.locked IN ACCESS SHARE MODE');
      await expectAbortLeavesNoBackend(pair.destination.name, (signal) => runRestore({ trust: testTrust, archive, target: pair.destination.config, clean: true }, { signal }));
    } finally {
      await holder.query('ROLLBACK').catch(() => undefined);
      await holder.end().catch(() => undefined);
    }
  });

  it('a cancelled comparison leaves no source backend computing its filtered checksum', async () => {
    await sql(pair.destination.url, `CREATE SCHEMA IF NOT EXISTS app; CREATE TABLE IF NOT EXISTS app.slow (id int PRIMARY KEY, note text)`);
    const controller = new AbortController();
    const running = compareTables(pair.source.config, pair.destination.config, [{ schema: 'app', name: 'slow', sourceWhere: 'app.pause(id) < 0' }], {
      signal: controller.signal,
    }).then(
      () => 'finished',
      (error: unknown) => error,
    );
    const reading = await pollUntil(
      () => activeBackends(pair.source.name),
      (rows) => rows.some((row) => row.query.includes('app.pause')),
    );
    expect(reading.map((row) => row.query).join('\n')).toContain('app.pause');
    controller.abort(new Error('stop'));
    const left = await pollUntil(
      () => activeBackends(pair.source.name),
      (rows) => rows.length === 0,
    );
    expect(left).toEqual([]);
    expect(await running).toMatchObject({ code: 'PGF_RUN_CANCELLED' });
  });
});
