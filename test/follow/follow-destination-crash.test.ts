import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { dropFollow } from '../../src/engine/follow/drop-follow.js';
import type { FollowOptions } from '../../src/engine/follow/follow-api.js';
import { followNames } from '../../src/engine/follow/follow-names.js';
import { parseLsn } from '../../src/engine/follow/lsn.js';
import { follow } from '../../src/engine/follow/run-follow.js';
import { type TestCluster, startCluster } from '../helpers/pg-cluster.js';
import { progressProbe, sql, startWorkload, waitFor } from './follow-helpers.js';

let source: TestCluster;
let destination: TestCluster;
let sourceUrl: string;
let destinationUrl: string;
const followId = 'dst-crash';

beforeAll(async () => {
  source = await startCluster({ major: 17, settings: { wal_level: 'logical' } });
  // The follower commits asynchronously: with a slow WAL writer its last batches stay off the
  // destination's disk for seconds, so the crash below is likely to lose some of them.
  destination = await startCluster({ major: 17, settings: { wal_writer_delay: '10s' } });
  sourceUrl = await source.createDatabase('shop');
  destinationUrl = await destination.createDatabase('shop_copy');
  await sql(
    sourceUrl,
    `CREATE TABLE public.items (id int PRIMARY KEY, qty int NOT NULL, note text);
     INSERT INTO public.items SELECT g, g, 'n' || g FROM generate_series(1, 1000) g;`,
  );
}, 120_000);

afterAll(async () => {
  await destination?.stop();
  await source?.stop();
});

const rows = 'SELECT id, qty, note FROM public.items ORDER BY id';

describe('follow: crash of the destination (asynchronous commit)', () => {
  it('never confirms to the source more than the destination kept, and resumes exactly', async () => {
    const options: FollowOptions = { source: { connectionString: sourceUrl }, destination: { connectionString: destinationUrl }, followId, batchWaitMs: 50, batchChanges: 100 };
    const workload = startWorkload(sourceUrl, async (client, i) => {
      const id = 1 + ((i * 37) % 1000);
      await client.query('BEGIN');
      await client.query('UPDATE public.items SET qty = qty + 1, note = $2 WHERE id = $1', [id, `u${i}`]);
      await client.query('INSERT INTO public.items VALUES ($1, $1, NULL)', [10_000 + i]);
      if (i % 3 === 0) await client.query('DELETE FROM public.items WHERE id = $1', [10_000 + i - 2]);
      await client.query('COMMIT');
    });
    const probe = progressProbe();
    const controller = new AbortController();
    const running = follow(options, { signal: controller.signal, onProgress: probe.onProgress }).then(
      () => null,
      (error: unknown) => error,
    );
    try {
      await waitFor('the follower to apply changes', () => ((probe.latest()?.changesApplied ?? 0) >= 600 ? true : undefined), 90_000);
      await destination.server.stop('immediate');
      // The follower loses its destination session and stops with an error.
      expect(await running).toBeInstanceOf(Error);
      await destination.server.start();
      // What the source was told is flushed never exceeds what the destination recovered (with
      // the slow WAL writer the crash usually loses the last batches: confirming them at COMMIT
      // would move the slot past them and this fails).
      const stored = await sql<{ lsn: string }>(destinationUrl, `SELECT lsn::text AS lsn FROM pgferry.follow_position WHERE follow_id = $1`, [followId]);
      const slot = await sql<{ lsn: string }>(sourceUrl, `SELECT confirmed_flush_lsn::text AS lsn FROM pg_replication_slots WHERE slot_name = $1`, [followNames(followId).slotName]);
      expect(parseLsn(slot[0]!.lsn)).toBeLessThanOrEqual(parseLsn(stored[0]!.lsn));
    } finally {
      await workload.stop();
    }
    // Resumed: it streams from the recovered position and ends equal to the source.
    const end = parseLsn((await sql<{ lsn: string }>(sourceUrl, 'SELECT pg_current_wal_lsn()::text AS lsn'))[0]!.lsn);
    const resumed = progressProbe();
    const again = new AbortController();
    const done = follow(options, { signal: again.signal, onProgress: resumed.onProgress });
    await waitFor('the resumed follower to catch up', () => {
      const applied = resumed.latest()?.appliedLsn;
      return applied !== undefined && applied !== null && parseLsn(applied) >= end ? true : undefined;
    }, 90_000);
    again.abort();
    const result = await done;
    expect(result.copied).toBe(false);
    expect(await sql(destinationUrl, rows)).toEqual(await sql(sourceUrl, rows));
    await dropFollow({ source: { connectionString: sourceUrl }, destination: { connectionString: destinationUrl }, followId });
  }, 240_000);
});
