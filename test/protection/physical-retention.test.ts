import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { connectionConfigFromUrl } from '../../src/engine/connection-config.js';
import { LocalStorage } from '../../src/engine/storage/local-storage.js';
import { parseLsn, segmentNumber } from '../../src/engine/wal/lsn.js';
import { type WalStreamEvent, type WalStreamProgress, streamWal } from '../../src/engine/wal/wal-streamer.js';
import { createStorage } from '../../src/jobs/storage-service.js';
import { keyFromBytes } from '../../src/secrets/encryption-key.js';
import { SecretBox } from '../../src/secrets/secret-box.js';
import { createStoreDatabase } from '../../src/store/create-database.js';
import { type TestCluster, startCluster } from '../helpers/pg-cluster.js';
import { trackResource } from '../helpers/leak-check.js';
import { cliJson, runCli } from '../helpers/run-cli.js';
import { createTestDatabase } from '../helpers/test-database.js';
import { eventWaiter, removeDir, scratchDir } from '../wal/wal-fixtures.js';
import { storedSegments, writeWal } from './protection-fixtures.js';

let cluster: TestCluster;
let home: string;
let env: Record<string, string>;
let store: ReturnType<typeof createStoreDatabase>;
let release: () => void;
const key = randomBytes(32);

beforeAll(async () => {
  const storeDb = await createTestDatabase({ prefix: 'pgferry_physical_retention' });
  store = createStoreDatabase({ connectionString: storeDb.url, poolMax: 2 });
  release = trackResource('store pool', () => store.close());
  cluster = await startCluster({ major: 17 });
  home = await scratchDir('pgferry-physical-retention-');
  env = { DATABASE_URL: storeDb.url, PGFERRY_ENCRYPTION_KEY: key.toString('hex'), PGFERRY_HOME: path.join(home, 'home') };
});
afterAll(async () => {
  release();
  await store.close();
  await cluster?.stop();
  await removeDir(home);
});

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
    const storagePath = path.join(home, 'storage');
    await createStorage(store.db, new SecretBox(keyFromBytes(key)), { name: 'wal-ret', kind: 'local', config: { path: storagePath } }, { create: true });
    const controller = new AbortController();
    const events: WalStreamEvent[] = [];
    let progress: WalStreamProgress | undefined;
    const streaming = streamWal({
      source: connectionConfigFromUrl(cluster.url()),
      storage: new LocalStorage(storagePath),
      slot: 'pgferry_wal_retention',
      spoolDir: path.join(home, 'spool'),
      signal: controller.signal,
      onEvent: (event) => events.push(event),
      onProgress: (value) => (progress = value),
    });
    streaming.catch(() => undefined);
    try {
      await eventWaiter(events)((event) => event.type === 'stream:start');
      const starts: string[] = [];
      for (const name of ['a', 'b', 'c']) {
        await writeWal(cluster, 30_000, true);
        const made = await runCli(['backup', '--from', cluster.url(), '--to', storagePath, '--format', 'physical', '--name', name, '--json'], env);
        expect(made.code, made.stderr).toBe(0);
        starts.push(cliJson(made).archives[0].physical.start_lsn as string);
      }
      await awaitUploaded(() => progress, await writeWal(cluster, 30_000, true));

      const verified = await runCli(['verify', 'wal-ret:c', '--json'], env);
      expect(verified.code, verified.stderr).toBe(0);
      expect(cliJson(verified).wal).toMatchObject({ ok: true, first_missing: null });
      expect(cliJson(verified).wal.segments).toBeGreaterThan(0);

      const before = await storedSegments(storagePath);
      const dry = cliJson(await runCli(['backups', 'prune', '--storage', 'wal-ret', '--physical', '--keep-last', '2', '--dry-run', '--json'], env));
      expect(dry.expire.map((item: { path: string }) => item.path)).toEqual(['a']);
      expect((await storedSegments(storagePath)).names).toEqual(before.names);

      const pruned = await runCli(['backups', 'prune', '--storage', 'wal-ret', '--physical', '--keep-last', '2', '--json'], env);
      expect(pruned.code, pruned.stderr).toBe(0);
      expect(cliJson(pruned).keep.map((item: { path: string }) => item.path).sort()).toEqual(['b', 'c']);
      const after = await storedSegments(storagePath);
      const cut = segmentNumber(parseLsn(starts[1]!), 16 * 1024 * 1024);
      // Exactly the WAL from backup b's start segment on: nothing older, nothing newer gone.
      expect(after.segments[0]).toBe(cut);
      expect(after.names).toEqual(before.names.filter((_, index) => before.segments[index]! >= cut));
      expect(before.segments[0]!).toBeLessThan(cut);
      expect((await runCli(['verify', 'wal-ret:b', '--json'], env)).code).toBe(0);

      // A segment lost after b: verify fails and names it.
      expect(after.names.length).toBeGreaterThanOrEqual(3);
      const lost = after.names[1]!;
      const timelineDir = path.join(storagePath, 'wal', after.systemId, lost.slice(0, 8));
      await rm(path.join(timelineDir, `${lost}.json`));
      const broken = await runCli(['verify', 'wal-ret:b'], env);
      expect(broken.code).toBe(4);
      expect(`${broken.stdout}${broken.stderr}`).toContain(lost);
    } finally {
      controller.abort();
      await streaming.catch(() => undefined);
    }
  });
});
