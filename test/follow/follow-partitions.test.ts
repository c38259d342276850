import { describe, expect, it } from 'vitest';

import { cutover } from '../../src/engine/follow/cutover.js';
import type { FollowOptions } from '../../src/engine/follow/follow-api.js';
import { follow } from '../../src/engine/follow/run-follow.js';
import { createTestDatabase } from '../helpers/test-database.js';
import { progressProbe, sql, useLogicalCluster, waitFor } from './follow-helpers.js';

// Partitioned tables through the stream: changes published under the partitioned table (so a
// partition added at the source later is not silently left out), rows moving between
// partitions, new partitions created at the destination, and one that cannot be stopping the
// follow by name.

const cluster = useLogicalCluster();

const schema = `
  CREATE TABLE public.measurements (id int, taken date NOT NULL, value numeric, PRIMARY KEY (id, taken)) PARTITION BY RANGE (taken);
  CREATE TABLE public.measurements_2025 PARTITION OF public.measurements FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
  CREATE TABLE public.measurements_2026 PARTITION OF public.measurements FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
  CREATE TABLE public.plain (id int PRIMARY KEY, note text);
  INSERT INTO public.measurements SELECT g, DATE '2025-06-01' + (g % 400), g FROM generate_series(1, 200) g;
  INSERT INTO public.plain VALUES (1, 'a');`;

const rowsQuery = `SELECT tableoid::regclass::text AS part, id, taken::text, value::text FROM public.measurements ORDER BY id, taken`;

describe('follow: partitioned tables', () => {
  it('streams changes of every partition, rows moving between partitions, and partitions added later (created at the destination), a TRUNCATE of one partition; a new partition whose parent the destination lacks stops the follow by name', async () => {
    const sourceUrl = await cluster().createDatabase('parts');
    const destinationUrl = (await createTestDatabase({ migrated: false, prefix: 'pgferry_parts' })).url;
    await sql(sourceUrl, schema);
    const options: FollowOptions = { source: { connectionString: sourceUrl }, destination: { connectionString: destinationUrl }, followId: 'parts', batchWaitMs: 100 };
    const controller = new AbortController();
    const probe = progressProbe();
    let failure: { code: string; message: string } | undefined;
    const running = follow(options, { signal: controller.signal, onProgress: probe.onProgress }).catch((error: unknown) => (failure = error as { code: string; message: string }));
    const alive = () => {
      if (failure) throw failure;
    };
    try {
      await waitFor('the stream to start', () => (alive(), probe.phases.has('streaming') ? true : undefined));
      await sql(
        sourceUrl,
        `INSERT INTO public.measurements VALUES (1000, '2025-02-01', 1), (1001, '2026-02-01', 2);
         UPDATE public.measurements SET value = value * 10 WHERE id <= 20;
         UPDATE public.measurements SET taken = taken + 365 WHERE id BETWEEN 21 AND 30 AND taken < '2025-12-01';
         DELETE FROM public.measurements WHERE id BETWEEN 31 AND 40;
         CREATE TABLE public.measurements_2027 PARTITION OF public.measurements FOR VALUES FROM ('2027-01-01') TO ('2028-01-01');`,
      );
      // The destination gets the new partition by hand, as a DBA would (DDL is not streamed).
      await sql(destinationUrl, `CREATE TABLE public.measurements_2027 PARTITION OF public.measurements FOR VALUES FROM ('2027-01-01') TO ('2028-01-01')`);
      await sql(sourceUrl, `INSERT INTO public.measurements VALUES (2000, '2027-03-01', 3); UPDATE public.measurements SET taken = '2027-05-05' WHERE id = 1001;`);
      const expected = await sql(sourceUrl, rowsQuery);
      await waitFor('the destination to converge', async () => {
        alive();
        return JSON.stringify(await sql(destinationUrl, rowsQuery)) === JSON.stringify(expected) ? true : undefined;
      });
      const report = await cutover({ ...options, timeoutMs: 120_000 });
      expect(report.tables.map((t) => [t.table, t.equal])).toEqual(expect.arrayContaining([['public.plain', true]]));
      expect(report.equal).toBe(true);

      // A partition only the source has is created at the destination before its first row; a
      // TRUNCATE of one partition reaches the destination's partition.
      await sql(
        sourceUrl,
        `CREATE TABLE public.measurements_2028 PARTITION OF public.measurements FOR VALUES FROM ('2028-01-01') TO ('2029-01-01');
         INSERT INTO public.measurements VALUES (3000, '2028-01-02', 4), (3001, '2025-03-03', 5);
         TRUNCATE public.measurements_2026;`,
      );
      const later = await sql(sourceUrl, rowsQuery);
      await waitFor('the destination to converge again', async () => {
        alive();
        return JSON.stringify(await sql(destinationUrl, rowsQuery)) === JSON.stringify(later) ? true : undefined;
      });
      expect(later).toContainEqual({ part: 'measurements_2028', id: 3000, taken: '2028-01-02', value: '4' });
      expect(later.filter((r) => (r as { part: string }).part === 'measurements_2026')).toEqual([]);
      const [bound] = await sql<{ bound: string }>(destinationUrl, `SELECT pg_get_expr(relpartbound, oid) AS bound FROM pg_class WHERE oid = 'public.measurements_2028'::regclass`);
      expect(bound!.bound).toBe(`FOR VALUES FROM ('2028-01-01') TO ('2029-01-01')`);
      expect((await cutover({ ...options, timeoutMs: 120_000 })).equal).toBe(true);

      // A new sub-partitioned partition: its own parent is missing at the destination, so the follow stops and names both.
      await sql(
        sourceUrl,
        `CREATE TABLE public.measurements_2029 PARTITION OF public.measurements FOR VALUES FROM ('2029-01-01') TO ('2030-01-01') PARTITION BY RANGE (id);
         CREATE TABLE public.measurements_2029_low PARTITION OF public.measurements_2029 FOR VALUES FROM (0) TO (100000);
         INSERT INTO public.measurements VALUES (4000, '2029-02-02', 6);`,
      );
      await waitFor('the follow to stop', () => (failure ? true : undefined));
      expect(failure?.code).toBe('PGF_FOLLOW_SCHEMA_CHANGED');
      expect(failure?.message, failure?.message).toContain('public.measurements_2029_low');
      expect(failure?.message, failure?.message).toContain('public.measurements_2029 ');
      expect(await sql(destinationUrl, 'SELECT count(*)::int AS n FROM public.measurements WHERE id = 4000')).toEqual([{ n: 0 }]);
    } finally {
      controller.abort();
      await running;
    }
  });
});
