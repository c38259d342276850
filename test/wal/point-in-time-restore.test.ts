import { cp } from 'node:fs/promises';
import path from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { connectionConfigFromUrl } from '../../src/engine/connection-config.js';
import { LocalStorage } from '../../src/engine/storage/local-storage.js';
import { parseLsn } from '../../src/engine/wal/lsn.js';
import { listWalFiles } from '../../src/engine/wal/wal-archive.js';
import { dropWalSlot } from '../../src/engine/wal/wal-slot.js';
import { writeRecoverySettings } from '../../src/engine/wal/recovery-settings.js';
import { startAndAwaitRecovery } from '../../src/engine/wal/start-recovery.js';
import { type WalStreamEvent, type WalStreamProgress, streamWal } from '../../src/engine/wal/wal-streamer.js';
import { type ClusterMajor, type TestCluster, startCluster } from '../helpers/pg-cluster.js';
import { eventWaiter, fetchCommand, freePort, lowLevelBackup, removeDir, scratchDir, stopRestored, withClient } from './wal-fixtures.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Starts the streamer in-process; returns what it reports and how to stop it. */
function startStreamer(cluster: TestCluster, storagePath: string, spool: string) {
  const controller = new AbortController();
  const events: WalStreamEvent[] = [];
  let progress: WalStreamProgress | undefined;
  const done = streamWal({
    source: connectionConfigFromUrl(cluster.url()),
    storage: new LocalStorage(storagePath),
    slot: 'pgferry_wal_test',
    spoolDir: spool,
    signal: controller.signal,
    onEvent: (event) => events.push(event),
    onProgress: (value) => (progress = value),
  });
  // Failures surface through stop() or the test's waits; this only marks the promise handled.
  done.catch(() => undefined);
  const stop = async () => {
    controller.abort();
    return done;
  };
  return { events, waitFor: eventWaiter(events), progress: () => progress, stop, done };
}

async function awaitUploaded(read: () => WalStreamProgress | undefined, lsn: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const progress = read();
    if (progress && parseLsn(progress.uploadedLsn) >= parseLsn(lsn)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`WAL up to ${lsn} was not uploaded in time (last progress ${JSON.stringify(read())})`);
}

async function restoreToTimeScenario(major: ClusterMajor, action: 'promote' | 'pause' = 'promote') {
  const cluster = await startCluster({ major });
  cleanups.push(() => cluster.stop());
  const home = await scratchDir(`pgferry-pitr-${major}-`);
  cleanups.push(() => removeDir(home));
  const storagePath = path.join(home, 'storage');
  const streamer = startStreamer(cluster, storagePath, path.join(home, 'spool'));
  cleanups.push(async () => void (await streamer.stop().catch(() => undefined)));
  await streamer.waitFor((event) => event.type === 'stream:start');

  await withClient(cluster.url(), (client) => client.query('CREATE TABLE kept (id int primary key); CREATE TABLE dropped_later (x int); INSERT INTO dropped_later VALUES (42)'));
  const base = path.join(home, 'base');
  await lowLevelBackup(cluster, base);

  const noted = await withClient(cluster.url(), async (client) => {
    await client.query('INSERT INTO kept SELECT generate_series(1, 100)');
    const time = (await client.query<{ t: string }>('SELECT clock_timestamp()::text AS t')).rows[0]!.t;
    await client.query('INSERT INTO kept SELECT generate_series(101, 250)');
    await client.query('DROP TABLE dropped_later');
    const switched = (await client.query<{ lsn: string }>('SELECT pg_switch_wal()::text AS lsn')).rows[0]!.lsn;
    return { time, switched };
  });
  await awaitUploaded(streamer.progress, noted.switched);

  const restored = path.join(home, 'restored');
  await cp(base, restored, { recursive: true });
  await writeRecoverySettings(restored, { target: { time: noted.time }, restoreCommand: fetchCommand(storagePath), action });
  const port = await freePort();
  cleanups.push(() => stopRestored(restored, cluster.binaries.pg_ctl));
  const outcome = await startAndAwaitRecovery({ dataDir: restored, binaries: cluster.binaries, port });
  expect(outcome).toMatchObject({ state: action === 'pause' ? 'paused' : 'promoted', major });
  expect(outcome.stoppedAt).toMatch(/recovery stopping before commit/);

  const url = `postgres://postgres:${encodeURIComponent(cluster.password)}@127.0.0.1:${port}/postgres`;
  const seen = await withClient(url, async (client) => ({
    kept: (await client.query<{ n: string; max: number }>('SELECT count(*) AS n, max(id) AS max FROM kept')).rows[0],
    dropped: (await client.query<{ x: number }>('SELECT x FROM dropped_later')).rows,
    inRecovery: (await client.query<{ r: boolean }>('SELECT pg_is_in_recovery() AS r')).rows[0]!.r,
  }));
  expect(seen).toEqual({ kept: { n: '100', max: 100 }, dropped: [{ x: 42 }], inRecovery: action === 'pause' });
  return { cluster, home, storagePath, base, restoredUrl: url, restoredDir: restored, firstStreamer: streamer };
}

describe('restore to a point in time from streamed WAL', () => {
  it('PostgreSQL 17: finds exactly the data of the noted moment (the later writes absent, the dropped table present); the slot is dropped afterwards', async () => {
    const { cluster, firstStreamer } = await restoreToTimeScenario(17);
    const result = await firstStreamer.stop();
    expect(result.segmentsUploaded).toBeGreaterThan(0);
    const source = connectionConfigFromUrl(cluster.url());
    expect(await dropWalSlot(source, 'pgferry_wal_test')).toBe(true);
    expect(await dropWalSlot(source, 'pgferry_wal_test')).toBe(false);
  }, 300_000);

  it('PostgreSQL 17: streaming the promoted copy (timeline 2, same system) follows the switch; a restore to the latest WAL then lands on timeline 2', async () => {
    const first = await restoreToTimeScenario(17);
    await first.firstStreamer.stop();
    const promoted = { url: () => first.restoredUrl } as unknown as TestCluster;
    const second = startStreamer(promoted, first.storagePath, path.join(first.home, 'spool2'));
    cleanups.push(async () => void (await second.stop().catch(() => undefined)));
    const ended = await second.waitFor((event) => event.type === 'timeline:end');
    expect(ended).toMatchObject({ timeline: 1 });
    await second.waitFor((event) => event.type === 'stream:start' && event.timeline === 2);
    const switched = await withClient(first.restoredUrl, async (client) => {
      await client.query('INSERT INTO kept SELECT generate_series(1001, 1010)');
      return (await client.query<{ lsn: string }>('SELECT pg_switch_wal()::text AS lsn')).rows[0]!.lsn;
    });
    await awaitUploaded(second.progress, switched);
    await second.stop();
    const stored = await listWalFiles(new LocalStorage(first.storagePath), second.events.find((event) => event.type === 'stream:start')!.systemId);
    expect(stored.map((file) => file.file)).toContain('00000002.history');
    expect(stored.some((file) => file.timeline === 2 && /^[0-9A-F]{24}$/.test(file.file))).toBe(true);

    // From the same base backup, the latest WAL follows timeline 2 and finds its rows.
    stopRestored(first.restoredDir, first.cluster.binaries.pg_ctl);
    const again = path.join(first.home, 'restored-latest');
    await cp(first.base, again, { recursive: true });
    await writeRecoverySettings(again, { target: 'latest', restoreCommand: fetchCommand(first.storagePath) });
    const port = await freePort();
    cleanups.push(() => stopRestored(again, first.cluster.binaries.pg_ctl));
    expect(await startAndAwaitRecovery({ dataDir: again, binaries: first.cluster.binaries, port })).toMatchObject({ state: 'promoted' });
    const url = `postgres://postgres:${encodeURIComponent(first.cluster.password)}@127.0.0.1:${port}/postgres`;
    const kept = await withClient(url, async (client) => (await client.query<{ n: number }>('SELECT count(*)::int AS n FROM kept')).rows[0]!.n);
    expect(kept).toBe(110);
  }, 400_000);

  it('PostgreSQL 13: the same', async () => {
    await restoreToTimeScenario(13);
  }, 300_000);

  it('PostgreSQL 18: the same, paused at the target (still in recovery, readable)', async () => {
    await restoreToTimeScenario(18, 'pause');
  }, 300_000);
});
