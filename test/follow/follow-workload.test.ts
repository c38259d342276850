import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { cutover } from '../../src/engine/follow/cutover.js';
import { dropFollow } from '../../src/engine/follow/drop-follow.js';
import type { FollowOptions } from '../../src/engine/follow/follow-api.js';
import { followNames } from '../../src/engine/follow/follow-names.js';
import { followStatus } from '../../src/engine/follow/follow-status.js';
import { follow } from '../../src/engine/follow/run-follow.js';
import { type TestCluster, startCluster } from '../helpers/pg-cluster.js';
import { createTestDatabase } from '../helpers/test-database.js';
import { progressProbe, sql, startWorkload, waitFor } from './follow-helpers.js';

let cluster: TestCluster;
let sourceUrl: string;
let destinationUrl: string;

beforeAll(async () => {
  cluster = await startCluster({ major: 17, settings: { wal_level: 'logical' } });
  sourceUrl = await cluster.createDatabase('shop');
  destinationUrl = (await createTestDatabase({ migrated: false, prefix: 'pgferry_follow' })).url;
  await sql(
    sourceUrl,
    `CREATE SCHEMA app;
     CREATE TABLE app.accounts (id serial PRIMARY KEY, email text NOT NULL, balance int NOT NULL DEFAULT 0, bio text);
     CREATE TABLE app.events (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, account int, payload jsonb, big text);
     CREATE TABLE app.tags (label text, weight int);
     ALTER TABLE app.tags REPLICA IDENTITY FULL;
     CREATE TABLE app.scratch (id int PRIMARY KEY, note text);
     INSERT INTO app.accounts (email, balance, bio) SELECT 'user' || g || '@corp.example', g, repeat('b', g % 50) FROM generate_series(1, 3000) g;
     INSERT INTO app.events (account, payload, big) SELECT g % 3000 + 1, jsonb_build_object('n', g), CASE WHEN g % 100 = 0 THEN repeat(md5(g::text), 400) END FROM generate_series(1, 60000) g;
     INSERT INTO app.tags SELECT 't' || (g % 20), g % 7 FROM generate_series(1, 400) g;
     INSERT INTO app.scratch SELECT g, 'n' FROM generate_series(1, 100) g;`,
  );
}, 120_000);

afterAll(async () => {
  await cluster?.stop();
});

describe('follow: copy, stream under a steady workload, cut-over', () => {
  it('hands over from the copy to the stream without a gap or duplicate, and cut-over finds both sides equal', async () => {
    const options: FollowOptions = {
      source: { connectionString: sourceUrl },
      destination: { connectionString: destinationUrl },
      schemas: ['app'],
      followId: 'workload-test',
      // Two copy workers: both readers import the slot's exported snapshot.
      jobs: 2,
      batchWaitMs: 200,
    };
    let truncated = false;
    let iterations = 0;
    const workloadCount = () => iterations;
    const workload = startWorkload(sourceUrl, async (client, i) => {
      iterations = i;
      const id = 1 + ((i * 7919) % 3000);
      await client.query('BEGIN');
      await client.query(`INSERT INTO app.accounts (email, balance) VALUES ($1, $2)`, [`w${i}@corp.example`, i]);
      await client.query(`UPDATE app.accounts SET balance = balance + 1 WHERE id = $1`, [id]);
      await client.query(`INSERT INTO app.events (account, payload) VALUES ($1, $2)`, [id, JSON.stringify({ i, note: 'tab\there' })]);
      if (i % 3 === 0) await client.query(`DELETE FROM app.events WHERE id = (SELECT min(id) FROM app.events)`);
      if (i % 5 === 0) await client.query(`UPDATE app.tags SET weight = weight + 1 WHERE ctid = (SELECT ctid FROM app.tags WHERE label = $1 LIMIT 1)`, [`t${i % 20}`]);
      if (i % 7 === 0) await client.query(`DELETE FROM app.tags WHERE ctid = (SELECT ctid FROM app.tags WHERE label = $1 LIMIT 1)`, [`t${i % 20}`]);
      if (i % 11 === 0) await client.query(`INSERT INTO app.tags VALUES ($1, NULL)`, [`t${i % 20}`]);
      // A big TOASTed value left unchanged by most updates, rewritten by some.
      if (i % 13 === 0) await client.query(`UPDATE app.events SET payload = payload || '{"u":1}' WHERE big IS NOT NULL AND id = (SELECT min(id) FROM app.events WHERE big IS NOT NULL)`);
      if (i % 29 === 0) await client.query(`UPDATE app.events SET big = repeat(md5($1::text), 500) WHERE id = (SELECT max(id) FROM app.events WHERE big IS NOT NULL)`, [i]);
      await client.query(`INSERT INTO app.scratch VALUES ($1, 'x') ON CONFLICT (id) DO UPDATE SET note = excluded.note`, [1000 + i]);
      await client.query('COMMIT');
      if (i === 150 && !truncated) {
        truncated = true;
        await client.query('TRUNCATE app.scratch');
      }
    });

    const controller = new AbortController();
    const probe = progressProbe();
    let writesDuringCopy = 0;
    const following = follow(options, {
      signal: controller.signal,
      onProgress: probe.onProgress,
      onEvent: (event) => {
        // Workload transactions between the copy's start and end (printed: how much the hand-over had to carry).
        if (event.type === 'run:start') writesDuringCopy = -workloadCount();
        if (event.type === 'run:done') writesDuringCopy += workloadCount();
      },
    });
    let failure: unknown;
    following.catch((error: unknown) => (failure = error));
    const alive = () => {
      if (failure !== undefined) throw failure;
    };
    try {
      await waitFor('the stream to start', () => (alive(), probe.phases.has('streaming') ? true : undefined), 90_000);
      // Streaming under load for a while, then until the TRUNCATE has been written.
      await waitFor('the workload to pass its TRUNCATE', () => (truncated ? true : undefined), 60_000);
      await waitFor('changes to be applied', () => (alive(), (probe.latest()?.changesApplied ?? 0) > 3000 ? true : undefined), 60_000);
    } finally {
      const writes = await workload.stop();
      console.log(`workload: ${writes} transactions, ${writesDuringCopy} of them during the initial copy`);
    }
    const report = await cutover({ ...options, timeoutMs: 120_000 });
    const status = await followStatus(options);
    controller.abort();
    const result = await following;
    const last = probe.latest()!;
    console.log(
      `follow: ${result.changesApplied} changes in ${result.transactionsApplied} transactions; last rate ${last.changesPerSecond}/s, lag ${last.lagBytes} bytes / ${last.lagSeconds} s; cut-over ${report.seconds.toFixed(1)} s`,
    );
    expect(report.tables.filter((t) => !t.equal)).toEqual([]);
    expect(report.schemaEqual).toBe(true);
    expect(report.equal).toBe(true);
    expect(report.tables.map((t) => t.table).sort()).toEqual(['app.accounts', 'app.events', 'app.scratch', 'app.tags']);
    expect(report.sequencesSet.map((s) => s.sequence).sort()).toEqual(['app.accounts_id_seq', 'app.events_id_seq']);
    expect(result.copied).toBe(true);
    expect(result.changesApplied).toBeGreaterThan(3000);
    // Read from the slot and the destination alone, while the follower streams.
    expect(status.phase).toBe('streaming');
    expect(status.appliedLsn).not.toBeNull();
    expect(status.retainedBytes).toBeGreaterThanOrEqual(0);
    expect(status.lagBytes).toBeGreaterThanOrEqual(0);
    expect((await followStatus(options)).phase).toBe('stopped');
    // The TRUNCATE reached the destination: rows written before it are gone there too.
    const early = await sql<{ n: string }>(destinationUrl, 'SELECT count(*) AS n FROM app.scratch WHERE id < 1150');
    expect(early[0]!.n).toBe('0');

    // Sequences match the source after the cut-over, so new inserts at the destination do not collide.
    const [src] = await sql<{ v: string }>(sourceUrl, 'SELECT last_value::text AS v FROM app.accounts_id_seq');
    const [dst] = await sql<{ v: string }>(destinationUrl, 'SELECT last_value::text AS v FROM app.accounts_id_seq');
    expect(dst!.v).toBe(src!.v);

    expect(await dropFollow(options)).toEqual({ slotDropped: true, publicationDropped: true, positionDropped: true });
    expect(await sql(sourceUrl, 'SELECT slot_name FROM pg_replication_slots WHERE slot_name = $1', [followNames(options.followId).slotName])).toEqual([]);
  }, 180_000);
});
