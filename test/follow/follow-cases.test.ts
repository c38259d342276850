import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { cutover } from '../../src/engine/follow/cutover.js';
import { dropFollow } from '../../src/engine/follow/drop-follow.js';
import type { FollowOptions } from '../../src/engine/follow/follow-api.js';
import { followNames } from '../../src/engine/follow/follow-names.js';
import { followStatus } from '../../src/engine/follow/follow-status.js';
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

async function pair(name: string, schema: string): Promise<{ sourceUrl: string; destinationUrl: string; options: FollowOptions }> {
  const sourceUrl = await cluster.createDatabase(name);
  const destinationUrl = (await createTestDatabase({ migrated: false, prefix: `pgferry_${name}` })).url;
  await sql(sourceUrl, schema);
  return { sourceUrl, destinationUrl, options: { source: { connectionString: sourceUrl }, destination: { connectionString: destinationUrl }, followId: name, batchWaitMs: 100 } };
}

async function leftovers(sourceUrl: string, followId: string): Promise<{ slots: unknown[]; publications: unknown[] }> {
  const { slotName, publicationName } = followNames(followId);
  return {
    slots: await sql(sourceUrl, 'SELECT slot_name FROM pg_replication_slots WHERE slot_name = $1', [slotName]),
    publications: await sql(sourceUrl, 'SELECT pubname FROM pg_publication WHERE pubname = $1', [publicationName]),
  };
}

/** Runs a follow in the background until `body` is done, then stops it and returns its result. */
async function whileFollowing<T>(options: FollowOptions, body: (probe: ReturnType<typeof progressProbe>, alive: () => void) => Promise<T>): Promise<T> {
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
    return await body(probe, alive);
  } finally {
    controller.abort();
    await running.catch(() => undefined);
  }
}

/** Waits until the destination query returns what the source query returns. */
async function converged(sourceUrl: string, destinationUrl: string, query: string, alive: () => void): Promise<unknown[]> {
  const expected = await sql(sourceUrl, query);
  return waitFor(`the destination to converge on ${query}`, async () => {
    alive();
    const actual = await sql(destinationUrl, query);
    return JSON.stringify(actual) === JSON.stringify(expected) ? actual : undefined;
  });
}

describe('follow: refusals and clean failure', () => {
  it('refuses a source without wal_level=logical, saying how to fix it, before creating anything', async (context) => {
    // The shared test server runs with the default wal_level (replica).
    const plain = await createTestDatabase({ migrated: false, prefix: 'pgferry_follow_plain' });
    const [level] = await sql<{ wal_level: string }>(plain.url, 'SHOW wal_level');
    if (level!.wal_level === 'logical') context.skip('the shared server has wal_level=logical');
    await sql(plain.url, 'CREATE TABLE public.t (id int PRIMARY KEY)');
    const destination = await createTestDatabase({ migrated: false, prefix: 'pgferry_follow_plain_dst' });
    const error = await follow({ source: { connectionString: plain.url }, destination: { connectionString: destination.url }, followId: 'plain' }).then(
      () => undefined,
      (e: unknown) => e as { code: string; message: string },
    );
    expect(error?.code).toBe('PGF_FOLLOW_NOT_READY');
    expect(error?.message).toContain('wal_level is "replica"');
    expect(error?.message).toContain('ALTER SYSTEM SET wal_level = logical');
    expect(await leftovers(plain.url, 'plain')).toEqual({ slots: [], publications: [] });
  });

  it('refuses a table without a key and with default replica identity before creating anything', async () => {
    const { sourceUrl, options } = await pair('nokey', 'CREATE TABLE public.log (at timestamptz, line text); CREATE TABLE public.ok (id int PRIMARY KEY);');
    const error = await follow(options).then(
      () => undefined,
      (e: unknown) => e as { code: string; message: string },
    );
    expect(error?.code).toBe('PGF_FOLLOW_REPLICA_IDENTITY');
    expect(error?.message).toContain('public.log');
    expect(error?.message).toContain('ALTER TABLE public.log REPLICA IDENTITY FULL;');
    expect(error?.message).not.toContain('public.ok');
    expect(await leftovers(sourceUrl, options.followId)).toEqual({ slots: [], publications: [] });
  });

  it('drops the slot and publication it created when the first start fails during the copy', async () => {
    const { sourceUrl, destinationUrl, options } = await pair('cancelled', 'CREATE TABLE public.t (id int PRIMARY KEY, v text); INSERT INTO public.t SELECT g, md5(g::text) FROM generate_series(1, 20000) g;');
    const controller = new AbortController();
    const error = await follow(options, {
      signal: controller.signal,
      // Abort once the copy has started: the slot and publication exist by then.
      onEvent: (event) => {
        if (event.type === 'table:start') controller.abort();
      },
    }).then(
      () => undefined,
      (e: unknown) => e as { code: string },
    );
    expect(error?.code).toBe('PGF_RUN_CANCELLED');
    expect(await leftovers(sourceUrl, options.followId)).toEqual({ slots: [], publications: [] });
    // No position: the next start copies anew.
    expect((await followStatus(options)).appliedLsn).toBeNull();
    expect(await sql(destinationUrl, `SELECT to_regclass('pgferry.follow_position') IS NULL AS none`)).toEqual([{ none: true }]);
  });
});

describe('follow: schema changes at the source', () => {
  it('adds a column added at the source and goes on; stops naming the table when a column is dropped', async () => {
    const { sourceUrl, destinationUrl, options } = await pair('addcol', 'CREATE TABLE public.orders (id int PRIMARY KEY, total numeric(10,2)); INSERT INTO public.orders VALUES (1, 10), (2, 20);');
    const controller = new AbortController();
    const probe = progressProbe();
    const running = follow(options, { signal: controller.signal, onProgress: probe.onProgress });
    let failure: { code: string; message: string } | undefined;
    const ended = running.catch((error: unknown) => (failure = error as { code: string; message: string }));
    await waitFor('the stream to start', () => (probe.phases.has('streaming') ? true : undefined));
    await sql(sourceUrl, `ALTER TABLE public.orders ADD COLUMN placed date DEFAULT '2026-01-01'; INSERT INTO public.orders VALUES (3, 30, '2026-12-04'); UPDATE public.orders SET total = 11 WHERE id = 1;`);
    const query = 'SELECT id, total::text, placed::text FROM public.orders ORDER BY id';
    await converged(sourceUrl, destinationUrl, query, () => {
      if (failure) throw failure;
    });
    const [type] = await sql<{ t: string }>(destinationUrl, `SELECT format_type(atttypid, atttypmod) AS t FROM pg_attribute WHERE attrelid = 'public.orders'::regclass AND attname = 'placed'`);
    expect(type!.t).toBe('date');

    await sql(sourceUrl, 'ALTER TABLE public.orders DROP COLUMN total; INSERT INTO public.orders VALUES (4);');
    await waitFor('the follow to stop', () => (failure ? true : undefined));
    await ended;
    expect(failure?.code).toBe('PGF_FOLLOW_SCHEMA_CHANGED');
    expect(failure?.message).toContain('public.orders');
    expect(failure?.message).toContain('column "total" was dropped');
    // Stopped at the last applied transaction: row 4 is not there, rows 1-3 are.
    expect(await sql(destinationUrl, 'SELECT id FROM public.orders ORDER BY id')).toEqual([{ id: 1 }, { id: 2 }, { id: 3 }]);
    controller.abort();
  });
});

describe('follow: rules and filter on the stream', () => {
  it('masks e-mails in streamed rows as in the copy, and moves rows in and out of the filter', async () => {
    const { sourceUrl, destinationUrl, options } = await pair(
      'rules',
      `CREATE TABLE public.people (id int PRIMARY KEY, email text, region text NOT NULL);
       INSERT INTO public.people SELECT g, 'person' || g || '@corp.example', CASE WHEN g % 2 = 0 THEN 'eu' ELSE 'us' END FROM generate_series(1, 100) g;`,
    );
    const ruled: FollowOptions = { ...options, rules: [{ match: 'email', strategy: 'unique_email' }], where: `region = 'eu'` };
    await whileFollowing(ruled, async (_probe, alive) => {
      await sql(
        sourceUrl,
        `INSERT INTO public.people VALUES (1000, 'new.person@corp.example', 'eu'), (1001, 'other@corp.example', 'us');
         UPDATE public.people SET email = 'changed' || id || '@corp.example' WHERE id IN (2, 4);
         UPDATE public.people SET region = 'us' WHERE id = 6;
         UPDATE public.people SET region = 'eu' WHERE id = 7;
         DELETE FROM public.people WHERE id = 8;`,
      );
      const expectedIds = (await sql<{ id: number }>(sourceUrl, `SELECT id FROM public.people WHERE region = 'eu' ORDER BY id`)).map((r) => r.id);
      await waitFor('the destination to hold the filtered rows', async () => {
        alive();
        const ids = (await sql<{ id: number }>(destinationUrl, 'SELECT id FROM public.people ORDER BY id')).map((r) => r.id);
        return JSON.stringify(ids) === JSON.stringify(expectedIds) ? true : undefined;
      });
      expect(expectedIds).toContain(7);
      expect(expectedIds).toContain(1000);
      expect(expectedIds).not.toContain(6);
      expect(expectedIds).not.toContain(8);
      // Cut-over compares with the masked column left out and the filter applied to the source.
      const report = await cutover({ ...ruled, timeoutMs: 60_000 });
      expect(report.tables).toEqual([expect.objectContaining({ table: 'public.people', equal: true, sourceRows: expectedIds.length, destinationRows: expectedIds.length })]);
      expect(report.equal).toBe(true);
      // Dropping a follow whose slot a follower holds is refused, and nothing is dropped.
      const refused = await dropFollow(ruled).then(
        () => undefined,
        (e: unknown) => e as { code: string },
      );
      expect(refused?.code).toBe('PGF_FOLLOW_SLOT_ACTIVE');
      expect((await leftovers(sourceUrl, ruled.followId)).slots).toHaveLength(1);
    });
    expect(await dropFollow(ruled)).toEqual({ slotDropped: true, publicationDropped: true, positionDropped: true });
    const leaked = await sql(destinationUrl, `SELECT id, email FROM public.people WHERE email LIKE '%corp.example%'`);
    expect(leaked).toEqual([]);
    // The stream masks as the copy does: the same rule gives the same value for the same e-mail.
    const masked = await sql<{ email: string }>(destinationUrl, 'SELECT email FROM public.people WHERE id IN (2, 1000) ORDER BY id');
    expect(masked.every((r) => /^user_[0-9a-f]{16}@example\.com$/.test(r.email))).toBe(true);
  });
});
