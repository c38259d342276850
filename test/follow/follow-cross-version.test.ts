import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { cutover } from '../../src/engine/follow/cutover.js';
import { dropFollow } from '../../src/engine/follow/drop-follow.js';
import type { FollowOptions } from '../../src/engine/follow/follow-api.js';
import { follow } from '../../src/engine/follow/run-follow.js';
import { type TestCluster, startCluster } from '../helpers/pg-cluster.js';
import { progressProbe, sql, startWorkload, waitFor } from './follow-helpers.js';

let source: TestCluster;
let destination: TestCluster;

beforeAll(async () => {
  [source, destination] = await Promise.all([startCluster({ major: 13, settings: { wal_level: 'logical' } }), startCluster({ major: 17 })]);
}, 120_000);

afterAll(async () => {
  await Promise.all([source?.stop(), destination?.stop()]);
});

describe('follow: PostgreSQL 13 source, 17 destination (a major-version upgrade)', () => {
  it('copies, streams a workload and cuts over with both sides equal', async () => {
    const sourceUrl = await source.createDatabase('legacy');
    const destinationUrl = await destination.createDatabase('upgraded');
    await sql(
      sourceUrl,
      `CREATE TYPE mood AS ENUM ('ok', 'sad');
       CREATE TABLE public.notes (id bigserial PRIMARY KEY, body text, mood mood, tags text[], doc jsonb, at timestamptz DEFAULT now());
       CREATE TABLE public.pairs (a int, b numeric);
       ALTER TABLE public.pairs REPLICA IDENTITY FULL;
       INSERT INTO public.notes (body, mood, tags, doc) SELECT repeat('x', g % 3000), 'ok', ARRAY['a', 'b'], jsonb_build_object('g', g) FROM generate_series(1, 2000) g;
       INSERT INTO public.pairs SELECT g % 10, g / 3.0 FROM generate_series(1, 300) g;`,
    );
    const options: FollowOptions = { source: { connectionString: sourceUrl }, destination: { connectionString: destinationUrl }, followId: 'pg13-to-17', batchWaitMs: 100 };
    const workload = startWorkload(sourceUrl, async (client, i) => {
      await client.query('BEGIN');
      await client.query(`INSERT INTO public.notes (body, mood, tags, doc) VALUES ($1, 'sad', $2, $3)`, [`n${i}\nline`, ['q', `t${i}`], JSON.stringify({ i })]);
      // Most updates leave the TOASTed body alone.
      await client.query(`UPDATE public.notes SET mood = CASE mood WHEN 'ok' THEN 'sad'::mood ELSE 'ok' END WHERE id = $1`, [1 + (i % 2000)]);
      if (i % 3 === 0) await client.query('DELETE FROM public.notes WHERE id = (SELECT min(id) FROM public.notes)');
      await client.query('UPDATE public.pairs SET b = b + 1 WHERE ctid = (SELECT ctid FROM public.pairs WHERE a = $1 LIMIT 1)', [i % 10]);
      await client.query('COMMIT');
    });
    const controller = new AbortController();
    const probe = progressProbe();
    let failure: unknown;
    const running = follow(options, { signal: controller.signal, onProgress: probe.onProgress });
    running.catch((error: unknown) => (failure = error));
    try {
      await waitFor('streamed changes', () => {
        if (failure) throw failure;
        return (probe.latest()?.changesApplied ?? 0) > 300 ? true : undefined;
      });
    } finally {
      await workload.stop();
    }
    const report = await cutover({ ...options, timeoutMs: 120_000 });
    controller.abort();
    const result = await running;
    expect(report.tables.filter((t) => !t.equal)).toEqual([]);
    expect(report.schemaEqual).toBe(true);
    expect(report.equal).toBe(true);
    expect(result.copied).toBe(true);
    expect(await dropFollow(options)).toEqual({ slotDropped: true, publicationDropped: true, positionDropped: true });
  }, 180_000);
});
