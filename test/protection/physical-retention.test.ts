import { rm } from 'node:fs/promises';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { connectionConfigFromUrl } from '../../src/engine/connection-config.js';
import { LocalStorage } from '../../src/engine/storage/local-storage.js';
import { parseLsn, segmentNumber } from '../../src/engine/wal/lsn.js';
import { type WalStreamEvent, type WalStreamProgress, streamWal } from '../../src/engine/wal/wal-streamer.js';
import { createStorage } from '../../src/jobs/storage-service.js';
import { cliJson, runCli } from '../helpers/run-cli.js';
import { eventWaiter } from '../wal/wal-fixtures.js';
import { storedSegments, writeWal, useStoreAndCluster } from './protection-fixtures.js';

const world = useStoreAndCluster('physical-retention');

async function awaitUploaded(read: () => WalStreamProgress | undefined, lsn: string): Promise<void> {
  const deadline = Date.now() + 600_000;
  while (Date.now() < deadline) {
    const progress = read();
    if (progress && parseLsn(progress.uploadedLsn) >= parseLsn(lsn)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`WAL up to ${lsn} was not uploaded in time`);
}

describe('retention and verify of physical backups with streamed WAL', () => {
  it('keeps the backups the GFS policy keeps and exactly the WAL from the oldest kept start; verify names a hole in the chain', async () => {
    const storagePath = path.join(world.home, 'storage');
    await createStorage(world.store.db, world.secrets, { name: 'wal-ret', kind: 'local', config: { path: storagePath } }, { create: true });
    const controller = new AbortController();
    const events: WalStreamEvent[] = [];
    let progress: WalStreamProgress | undefined;
    const streaming = streamWal({
      source: connectionConfigFromUrl(world.cluster.url()),
      storage: new LocalStorage(storagePath),
      slot: 'pgferry_wal_retention',
      spoolDir: path.join(world.home, 'spool'),
      signal: controller.signal,
      onEvent: (event) => events.push(event),
      onProgress: (value) => (progress = value),
    });
    streaming.catch(() => undefined);
    try {
      await eventWaiter(events)((event) => event.type === 'stream:start');
      const starts: string[] = [];
      for (const name of ['a', 'b', 'c']) {
        await writeWal(world.cluster, 30_000, true);
        const made = await runCli(['backup', '--from', world.cluster.url(), '--to', storagePath, '--format', 'physical', '--name', name, '--json'], world.env);
        expect(made.code, made.stderr).toBe(0);
        starts.push(cliJson(made).archives[0].physical.start_lsn as string);
      }
      await awaitUploaded(() => progress, await writeWal(world.cluster, 30_000, true));

      const verified = await runCli(['verify', 'wal-ret:c', '--json'], world.env);
      expect(verified.code, verified.stderr).toBe(0);
      expect(cliJson(verified).wal).toMatchObject({ ok: true, first_missing: null });
      expect(cliJson(verified).wal.segments).toBeGreaterThan(0);

      const before = await storedSegments(storagePath);
      const dry = cliJson(await runCli(['backups', 'prune', '--storage', 'wal-ret', '--physical', '--keep-last', '2', '--dry-run', '--json'], world.env));
      expect(dry.expire.map((item: { path: string }) => item.path)).toEqual(['a']);
      expect((await storedSegments(storagePath)).names).toEqual(before.names);

      const pruned = await runCli(['backups', 'prune', '--storage', 'wal-ret', '--physical', '--keep-last', '2', '--json'], world.env);
      expect(pruned.code, pruned.stderr).toBe(0);
      expect(cliJson(pruned).keep.map((item: { path: string }) => item.path).sort()).toEqual(['b', 'c']);
      const after = await storedSegments(storagePath);
      const cut = segmentNumber(parseLsn(starts[1]!), 16 * 1024 * 1024);
      // Exactly the WAL from backup b's start segment on: nothing older, nothing newer gone.
      expect(after.segments[0]).toBe(cut);
      expect(after.names).toEqual(before.names.filter((_, index) => before.segments[index]! >= cut));
      expect(before.segments[0]!).toBeLessThan(cut);
      expect((await runCli(['verify', 'wal-ret:b', '--json'], world.env)).code).toBe(0);

      // A segment lost after b: verify fails and names it.
      expect(after.names.length).toBeGreaterThanOrEqual(3);
      const lost = after.names[1]!;
      const timelineDir = path.join(storagePath, 'wal', after.systemId, lost.slice(0, 8));
      await rm(path.join(timelineDir, `${lost}.json`));
      const broken = await runCli(['verify', 'wal-ret:b'], world.env);
      expect(broken.code).toBe(4);
      expect(`${broken.stdout}${broken.stderr}`).toContain(lost);
    } finally {
      controller.abort();
      await streaming.catch(() => undefined);
    }
  });
});
