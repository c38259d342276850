import path from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { connectionConfigFromUrl } from '../../src/engine/connection-config.js';
import { LocalStorage } from '../../src/engine/storage/local-storage.js';
import { parseLsn } from '../../src/engine/wal/lsn.js';
import { type WalStreamEvent, type WalStreamProgress, streamWal } from '../../src/engine/wal/wal-streamer.js';
import { startCluster } from '../helpers/pg-cluster.js';
import { cliJson, runCli } from '../helpers/run-cli.js';
import { eventWaiter, freePort, removeDir, scratchDir, stopRestored, withClient } from '../wal/wal-fixtures.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function awaitUploaded(read: () => WalStreamProgress | undefined, lsn: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const progress = read();
    if (progress && parseLsn(progress.uploadedLsn) >= parseLsn(lsn)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`WAL up to ${lsn} was not uploaded in time`);
}

describe('point-in-time restore from an incremental backup', () => {
  it('combines the chain, then recovers from the WAL archive to a time after the incremental (--target-time --start)', async () => {
    const cluster = await startCluster({ major: 17, settings: { summarize_wal: 'on' } });
    cleanups.push(() => cluster.stop());
    const home = await scratchDir('pgferry-incr-pitr-');
    cleanups.push(() => removeDir(home));
    const storagePath = path.join(home, 'storage');
    const env = { PGFERRY_ENCRYPTION_KEY: 'c'.repeat(64), PGFERRY_HOME: path.join(home, 'cli-home') };

    const controller = new AbortController();
    const events: WalStreamEvent[] = [];
    let progress: WalStreamProgress | undefined;
    const streaming = streamWal({
      source: connectionConfigFromUrl(cluster.url()),
      storage: new LocalStorage(storagePath),
      slot: 'pgferry_wal_incr',
      spoolDir: path.join(home, 'spool'),
      signal: controller.signal,
      onEvent: (event) => events.push(event),
      onProgress: (value) => (progress = value),
    });
    streaming.catch(() => undefined);
    cleanups.push(async () => {
      controller.abort();
      await streaming.catch(() => undefined);
    });
    await eventWaiter(events)((event) => event.type === 'stream:start');

    await withClient(cluster.url(), (client) => client.query("CREATE TABLE kept (id int PRIMARY KEY, v text); CREATE TABLE dropped_later (x int); INSERT INTO dropped_later VALUES (7); INSERT INTO kept SELECT g, md5(g::text) FROM generate_series(1, 20000) g"));
    const full = await runCli(['backup', '--from', cluster.url(), '--to', storagePath, '--format', 'physical', '--name', 'full', '--json'], env);
    expect(full.code, full.stderr).toBe(0);
    await withClient(cluster.url(), (client) => client.query("UPDATE kept SET v = 'changed' WHERE id % 100 = 0; DELETE FROM kept WHERE id > 20100"));
    // The incremental leaves its WAL to the archive: recovery reads all of it through wal fetch.
    const incremental = await runCli(['backup', '--from', cluster.url(), '--to', storagePath, '--format', 'physical', '--incremental', '--wal', 'archive', '--name', 'inc', '--json'], env);
    expect(incremental.code, incremental.stderr).toBe(0);
    expect(cliJson(incremental).archives[0].physical).toMatchObject({ incremental_from: 'full', wal: 'archive' });

    const noted = await withClient(cluster.url(), async (client) => {
      await client.query('INSERT INTO kept SELECT g, md5(g::text) FROM generate_series(20001, 20100) g');
      const time = (await client.query<{ t: string }>('SELECT clock_timestamp()::text AS t')).rows[0]!.t;
      await client.query('INSERT INTO kept SELECT g, md5(g::text) FROM generate_series(20101, 20300) g');
      await client.query('DROP TABLE dropped_later');
      const switched = (await client.query<{ lsn: string }>('SELECT pg_switch_wal()::text AS lsn')).rows[0]!.lsn;
      return { time, switched };
    });
    await awaitUploaded(() => progress, noted.switched);

    const restoredDir = path.join(home, 'restored');
    const port = await freePort();
    cleanups.push(() => stopRestored(restoredDir, cluster.binaries.pg_ctl));
    const restored = await runCli(
      ['restore', path.join(storagePath, 'inc'), '--to-dir', restoredDir, '--target-time', noted.time, '--wal-storage', storagePath, '--start', '--port', String(port), '--json'],
      env,
    );
    expect(restored.code, restored.stderr).toBe(0);
    expect(cliJson(restored).recovery.started).toMatchObject({ state: 'promoted' });
    const url = `postgres://postgres:${encodeURIComponent(cluster.password)}@127.0.0.1:${port}/postgres`;
    const seen = await withClient(url, async (client) => ({
      kept: (await client.query("SELECT count(*)::int AS n, max(id) AS max, count(*) FILTER (WHERE v = 'changed')::int AS changed FROM kept")).rows[0],
      dropped: (await client.query('SELECT x FROM dropped_later')).rows,
    }));
    expect(seen).toEqual({ kept: { n: 20100, max: 20100, changed: 200 }, dropped: [{ x: 7 }] });
  });
});
