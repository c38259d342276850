import path from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { connectionConfigFromUrl } from '../../src/engine/connection-config.js';
import { LocalStorage } from '../../src/engine/storage/local-storage.js';
import { formatLsn, parseLsn, parseSegmentName, segmentName } from '../../src/engine/wal/lsn.js';
import { listWalFiles } from '../../src/engine/wal/wal-archive.js';
import { verifyWalChain } from '../../src/engine/wal/wal-chain.js';
import { dropWalSlot } from '../../src/engine/wal/wal-slot.js';
import { type WalStreamEvent, type WalStreamProgress, streamWal } from '../../src/engine/wal/wal-streamer.js';
import { startCluster } from '../helpers/pg-cluster.js';
import { eventWaiter, removeDir, scratchDir, withClient } from './wal-fixtures.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const mb16 = 16 * 1024 * 1024;

describe('a lost slot', () => {
  it('PostgreSQL 17: WAL the server recycled while the slot was gone is reported as a gap (event, result, chain), and streaming goes on', async () => {
    const cluster = await startCluster({ major: 17 });
    cleanups.push(() => cluster.stop());
    const home = await scratchDir('pgferry-wal-gap-');
    cleanups.push(() => removeDir(home));
    const storage = new LocalStorage(path.join(home, 'storage'));
    const source = connectionConfigFromUrl(cluster.url());
    const writeAndSwitch = () => withClient(cluster.url(), async (client) => (await client.query<{ lsn: string }>("CREATE TABLE IF NOT EXISTS w (a text); INSERT INTO w SELECT repeat('x', 100) FROM generate_series(1, 1000); SELECT pg_switch_wal()::text AS lsn")) as unknown as { rows: { lsn: string }[] }[]);
    const run = (spool: string) => {
      const controller = new AbortController();
      const events: WalStreamEvent[] = [];
      let progress: WalStreamProgress | undefined;
      const done = streamWal({ source, storage, slot: 'pgferry_wal_gap', spoolDir: path.join(home, spool), signal: controller.signal, onEvent: (event) => events.push(event), onProgress: (value) => (progress = value) });
      done.catch(() => undefined);
      cleanups.push(async () => void (controller.abort(), await done.catch(() => undefined)));
      const awaitUploaded = async (lsn: string) => {
        const deadline = Date.now() + 120_000;
        while (Date.now() < deadline && !(progress && parseLsn(progress.uploadedLsn) >= parseLsn(lsn))) await new Promise((resolve) => setTimeout(resolve, 100));
        expect(parseLsn(progress!.uploadedLsn)).toBeGreaterThanOrEqual(parseLsn(lsn));
      };
      return { events, waitFor: eventWaiter(events), awaitUploaded, stop: async () => (controller.abort(), done) };
    };
    const lastSwitch = async () => (await writeAndSwitch()).at(-1)!.rows[0]!.lsn;

    const first = run('spool');
    await first.waitFor((event) => event.type === 'stream:start');
    await first.awaitUploaded(await lastSwitch());
    expect((await first.stop()).gaps).toEqual([]);
    const systemId = (first.events[0] as { systemId: string }).systemId;
    const storedBefore = (await listWalFiles(storage, systemId)).map((file) => file.file);
    const nextExpected = segmentName(1, parseSegmentName(storedBefore.at(-1)!, mb16).segment + 1n, mb16);

    expect(await dropWalSlot(source, 'pgferry_wal_gap')).toBe(true);
    for (let round = 0; round < 4; round += 1) await lastSwitch();
    await withClient(cluster.url(), (client) => client.query('CHECKPOINT'));

    const second = run('spool');
    const gap = await second.waitFor((event) => event.type === 'wal:gap');
    expect(gap).toMatchObject({ type: 'wal:gap', systemId, first: nextExpected });
    await second.awaitUploaded(await lastSwitch());
    const result = await second.stop();
    expect(result.gaps).toEqual([{ first: nextExpected, last: (gap as { last: string }).last }]);

    const chain = await verifyWalChain(storage, systemId, formatLsn(parseSegmentName(storedBefore[0]!, mb16).segment * BigInt(mb16)));
    expect(chain.firstMissing).toBe(nextExpected);
    expect(chain.resumesAt).toBeDefined();
  }, 300_000);
});
