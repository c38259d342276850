import { randomBytes } from 'node:crypto';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { disableProtection, enableProtection, getProtection } from '../../src/jobs/protection/protection-service.js';
import { keyFromBytes } from '../../src/secrets/encryption-key.js';
import { SecretBox } from '../../src/secrets/secret-box.js';
import { createStoreDatabase } from '../../src/store/create-database.js';
import { protectionLeaseHolder } from '../../src/store/protection-repository.js';
import { allowAnyOutbound } from '../../src/net/outbound-guard.js';
import { type TestCluster, startCluster } from '../helpers/pg-cluster.js';
import { trackResource } from '../helpers/leak-check.js';
import { createTestDatabase } from '../helpers/test-database.js';
import { waitFor } from '../jobs/job-fixtures.js';
import { type WorkerProcess, startPgferryWorker } from '../jobs/worker-processes.js';
import { removeDir, scratchDir, withClient } from '../wal/wal-fixtures.js';
import { saveProtectedPair, slotExists, storedSegments, uploadedPast, writeWal } from './protection-fixtures.js';

let cluster: TestCluster;
let home: string;
let store: ReturnType<typeof createStoreDatabase>;
let storeUrl: string;
let release: () => void;
const key = randomBytes(32);
const secrets = new SecretBox(keyFromBytes(key));

beforeAll(async () => {
  const storeDb = await createTestDatabase({ prefix: 'pgferry_protection_store' });
  storeUrl = storeDb.url;
  store = createStoreDatabase({ connectionString: storeDb.url, poolMax: 3 });
  release = trackResource('store pool', () => store.close());
  cluster = await startCluster({ major: 17 });
  home = await scratchDir('pgferry-protection-');
});
afterAll(async () => {
  release();
  await store.close();
  await cluster?.stop();
  await removeDir(home);
});

/** Who streams now, read from the store (the lease), once somebody does. */
const streamer = (connectionId: string) => waitFor(() => protectionLeaseHolder(store.db, connectionId), 600_000, 'a worker to take the lease');

describe('continuous protection across worker processes', () => {
  it('streams with exactly one worker; after kill -9 of that worker the other takes the lease and the WAL in storage has no gap; disable drops the slot', async () => {
    const storagePath = path.join(home, 'storage');
    const { connection } = await saveProtectedPair(store.db, secrets, cluster, storagePath, 'takeover');
    const enabled = await enableProtection(store.db, connection.name, { storage: `wal-takeover` });
    expect(enabled).toMatchObject({ enabled: true, slot_state: 'active', streaming: false });

    const env = (name: string) => ({ DATABASE_URL: storeUrl, PGFERRY_ENCRYPTION_KEY: key.toString('hex'), PGFERRY_HOME: path.join(home, name) });
    const flags = ['--poll-ms', '200', '--heartbeat-ms', '500', '--dead-after-ms', '3000'];
    const workers: WorkerProcess[] = [startPgferryWorker(flags, env('a')), startPgferryWorker(flags, env('b'))];
    try {
      await Promise.all(workers.map((worker) => worker.ready));
      const first = await streamer(connection.id);
      const firstIndex = workers.findIndex((worker) => worker.output().includes(first));
      expect(firstIndex, `worker ids in the outputs:\n${workers.map((w) => w.output().slice(0, 600)).join('\n---\n')}`).toBeGreaterThanOrEqual(0);
      const doomed = workers[firstIndex]!;
      const survivor = workers[1 - firstIndex]!;

      // Full segments reach storage while the first worker streams.
      const switched = await writeWal(cluster, 20_000, true);
      await waitFor(() => uploadedPast(store.db, connection.id, switched), 600_000, 'the first segments in storage');
      expect(survivor.output()).not.toContain('streaming WAL of');
      // Exactly one stream on the server: the slot is used by one walsender.
      const senders = await withClient(cluster.url(), (client) => client.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_stat_replication'));
      expect(senders.rows[0]!.n).toBe(1);

      // Killed mid-segment: WAL written but not yet in a complete segment.
      const midSegment = await writeWal(cluster, 5000, false);
      await doomed.stop('SIGKILL');
      const second = await waitFor(async () => {
        const holder = await protectionLeaseHolder(store.db, connection.id);
        return holder !== null && holder !== first ? holder : undefined;
      }, 600_000, 'the survivor to take the lease over');
      expect(survivor.output()).toContain(second);
      await waitFor(async () => survivor.output().includes('streaming WAL of'), 600_000, 'the survivor to stream');

      const after = await writeWal(cluster, 20_000, true);
      await waitFor(() => uploadedPast(store.db, connection.id, after), 600_000, 'the segments after the take-over in storage');
      expect(await uploadedPast(store.db, connection.id, midSegment)).toBe(true);

      // Every segment from the first stored to the last, each once.
      const { names, segments } = await storedSegments(storagePath);
      expect(segments.length).toBeGreaterThanOrEqual(2);
      expect(new Set(names).size).toBe(names.length);
      const gaps = segments.slice(1).filter((segment, index) => segment !== segments[index]! + 1n);
      expect(gaps, `stored: ${names.join(', ')}`).toEqual([]);
      const status = await getProtection(store.db, connection.id);
      expect(status).toMatchObject({ streaming: true, worker_id: second, last_error: null });
      console.log(`stored segments ${names[0]} … ${names.at(-1)} (${names.length}), streamed by ${first} then ${second}`);

      // Off: the survivor stops streaming and drops the slot.
      expect(await slotExists(cluster, enabled.slot_name)).toBe(true);
      const disabled = await disableProtection(store.db, secrets, allowAnyOutbound, connection.id);
      expect(disabled.enabled).toBe(false);
      await waitFor(async () => (await getProtection(store.db, connection.id)).slot_state === 'dropped', 600_000, 'the slot to be dropped');
      expect(await slotExists(cluster, enabled.slot_name)).toBe(false);
      expect(await protectionLeaseHolder(store.db, connection.id)).toBeNull();
    } finally {
      for (const worker of workers) await worker.stop();
    }
  });
});
