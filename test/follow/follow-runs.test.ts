import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { cutover } from '../../src/engine/follow/cutover.js';
import type { FollowOptions } from '../../src/engine/follow/follow-api.js';
import { follow } from '../../src/engine/follow/run-follow.js';
import { type TestCluster, startCluster } from '../helpers/pg-cluster.js';
import { createTestDatabase } from '../helpers/test-database.js';
import { progressProbe, sql, waitFor } from './follow-helpers.js';

let cluster: TestCluster;

beforeAll(async () => {
  cluster = await startCluster({ major: 17, settings: { wal_level: 'logical' } });
}, 120_000);

afterAll(async () => {
  await cluster?.stop();
});

/**
 * The same keys inserted, updated (key changes, unchanged TOAST values) and deleted many times
 * within one source transaction, within one destination batch and across batches: the
 * set-based apply must keep the source order wherever it matters.
 */
const round = (r: number) => `
  DO $$
  DECLARE k int;
  BEGIN
    FOR k IN 1..40 LOOP
      INSERT INTO public.kv VALUES (k + ${r * 1000}, ${r}, 'a', NULL);
      UPDATE public.kv SET v = v + 1, note = 'b' WHERE id = k + ${r * 1000};
      UPDATE public.kv SET id = -id WHERE id = k + ${r * 1000};
      UPDATE public.kv SET v = v * 2 WHERE id = -(k + ${r * 1000});
      IF k % 3 = 0 THEN DELETE FROM public.kv WHERE id = -(k + ${r * 1000}); END IF;
      IF k % 3 = 0 THEN INSERT INTO public.kv VALUES (-(k + ${r * 1000}), -1, 'again', NULL); END IF;
      IF k % 5 = 0 THEN DELETE FROM public.kv WHERE id = -(k + ${r * 1000}); END IF;
      -- The big value stays (unchanged TOAST) while the rest changes, then the row goes and comes back.
      UPDATE public.kv SET v = v + k WHERE id = ${(r % 7) + 1};
      UPDATE public.uniq SET code = 'free' || k WHERE code = 'c' || (k % 10);
      DELETE FROM public.uniq WHERE id = k % 10;
      INSERT INTO public.uniq VALUES (k % 10, 'c' || (k % 10));
      DELETE FROM public.bag WHERE ctid = (SELECT ctid FROM public.bag WHERE v = k % 4 LIMIT 1);
      INSERT INTO public.bag VALUES (k % 4, 'dup');
      UPDATE public.bag SET w = 'w' || k WHERE ctid = (SELECT ctid FROM public.bag WHERE v = k % 4 LIMIT 1);
      UPDATE public.other SET n = n + 1 WHERE id = k % 8;
    END LOOP;
    DELETE FROM public.uniq WHERE code LIKE 'free%';
  END $$;`;

describe('follow: set-based apply keeps the source order where it matters', () => {
  it('ends equal to the source after keys inserted, updated, re-keyed and deleted many times per batch and across batches', async () => {
    const sourceUrl = await cluster.createDatabase('runs');
    const destinationUrl = (await createTestDatabase({ migrated: false, prefix: 'pgferry_runs' })).url;
    await sql(
      sourceUrl,
      `CREATE TABLE public.kv (id int PRIMARY KEY, v int NOT NULL, note text, big text);
       INSERT INTO public.kv SELECT g, g, 'seed', repeat(md5(g::text), 400) FROM generate_series(1, 8) g;
       CREATE TABLE public.uniq (id int PRIMARY KEY, code text NOT NULL UNIQUE);
       INSERT INTO public.uniq SELECT g, 'c' || g FROM generate_series(0, 9) g;
       CREATE TABLE public.bag (v int, w text);
       ALTER TABLE public.bag REPLICA IDENTITY FULL;
       INSERT INTO public.bag SELECT g % 4, 'dup' FROM generate_series(1, 20) g;
       CREATE TABLE public.other (id bigint PRIMARY KEY, n int NOT NULL);
       INSERT INTO public.other SELECT g, 0 FROM generate_series(0, 7) g;`,
    );
    const options: FollowOptions = { source: { connectionString: sourceUrl }, destination: { connectionString: destinationUrl }, followId: 'runs', batchWaitMs: 300 };
    const controller = new AbortController();
    const probe = progressProbe();
    let failure: unknown;
    const running = follow(options, { signal: controller.signal, onProgress: probe.onProgress });
    running.catch((error: unknown) => (failure = error));
    const alive = () => {
      if (failure !== undefined) throw failure;
    };
    try {
      await waitFor('the stream to start', () => (alive(), probe.phases.has('streaming') ? true : undefined));
      // Several rounds in quick succession (one destination batch), then one at a time (several batches).
      for (const r of [1, 2, 3]) await sql(sourceUrl, round(r));
      await sql(sourceUrl, `BEGIN; DELETE FROM public.kv WHERE id < -1000 AND id > -2000; ${round(1)} COMMIT;`);
      for (const r of [4, 5, 6]) {
        await sql(sourceUrl, round(r));
        await waitFor(`round ${r} to be applied`, () => (alive(), (probe.latest()?.changesApplied ?? 0) > 0 ? true : undefined));
      }
      const report = await cutover({ ...options, timeoutMs: 120_000 });
      alive();
      expect([...report.tables].sort((a, b) => a.table.localeCompare(b.table))).toEqual([
        expect.objectContaining({ table: 'public.bag', equal: true }),
        expect.objectContaining({ table: 'public.kv', equal: true }),
        expect.objectContaining({ table: 'public.other', equal: true }),
        expect.objectContaining({ table: 'public.uniq', equal: true }),
      ]);
      expect(report.equal).toBe(true);
      // The workload did what it says: re-keyed rows, duplicates kept, big values kept.
      const kv = await sql<{ negative: number; big: number }>(destinationUrl, `SELECT count(*) FILTER (WHERE id < 0)::int AS negative, count(big)::int AS big FROM public.kv`);
      expect(kv[0]!.negative).toBeGreaterThan(100);
      expect(kv[0]!.big).toBe(8);
      const bag = await sql<{ n: number }>(destinationUrl, `SELECT count(*)::int AS n FROM public.bag`);
      expect(bag[0]!.n).toBe(20);
    } finally {
      controller.abort();
      await running.catch(() => undefined);
    }
  });
});
