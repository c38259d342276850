// Driver of bench/wal-stream.sh: a throw-away PostgreSQL 17 (embedded build), `streamWal` into a
// local directory (gzip) while CLIENTS sessions insert rows for SECONDS; samples the stream's
// progress every second and prints segments/s uploaded, MB/s of WAL, and lag (bytes, seconds).
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import pg from 'pg';

import { LocalStorage } from '../src/engine/storage/local-storage.js';
import { type WalStreamProgress, streamWal } from '../src/engine/wal/wal-streamer.js';
import { EmbeddedPostgres } from '../src/store/embedded-postgres.js';

const seconds = Number(process.env.SECONDS_RUN ?? 30);
const clients = Number(process.env.CLIENTS ?? 2);
const compression = (process.env.COMPRESS ?? 'gzip') as 'gzip' | 'zstd' | 'none';

const home = await mkdtemp(path.join(os.tmpdir(), 'pgferry-wal-bench-'));
const server = new EmbeddedPostgres({ dataDir: path.join(home, 'pg'), port: 0, settings: { max_wal_senders: 5, max_replication_slots: 5 } });
await server.start();
const url = server.connectionString();
const controller = new AbortController();
let latest: WalStreamProgress | undefined;
let uploaded = 0;
const streaming = streamWal({
  source: { connectionString: url },
  storage: new LocalStorage(path.join(home, 'storage')),
  slot: 'pgferry_wal_bench',
  spoolDir: path.join(home, 'spool'),
  compression,
  signal: controller.signal,
  onProgress: (progress) => (latest = progress),
  onEvent: (event) => {
    if (event.type === 'segment:uploaded') uploaded += 1;
  },
});

const setup = new pg.Client({ connectionString: url });
await setup.connect();
await setup.query('CREATE TABLE load (id bigserial primary key, at timestamptz default now(), payload text)');
await setup.end();

const started = Date.now();
const stopAt = started + seconds * 1000;
const samples: { lagBytes: number; lagSeconds: number }[] = [];
const sampler = setInterval(() => latest && samples.push({ lagBytes: latest.lagBytes, lagSeconds: latest.lagSeconds }), 1000);
let rows = 0;
await Promise.all(
  Array.from({ length: clients }, async () => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    while (Date.now() < stopAt) {
      await client.query("INSERT INTO load (payload) SELECT md5(g::text) || repeat('x', 200) FROM generate_series(1, 500) g");
      rows += 500;
    }
    await client.end();
  }),
);
clearInterval(sampler);
const elapsed = (Date.now() - started) / 1000;
const segmentsDuringLoad = uploaded;
controller.abort();
await streaming;
await server.stop();
await rm(home, { recursive: true, force: true });

const sorted = (values: number[]) => [...values].sort((a, b) => a - b);
const p = (values: number[], q: number) => sorted(values)[Math.min(values.length - 1, Math.floor(q * values.length))] ?? NaN;
const lagBytes = samples.map((sample) => sample.lagBytes);
const lagSeconds = samples.map((sample) => sample.lagSeconds);
console.log(`load: ${clients} clients, ${rows} rows in ${elapsed.toFixed(1)} s (${Math.round(rows / elapsed)} rows/s); compression ${compression}`);
console.log(`uploaded: ${segmentsDuringLoad} segments of 16 MB in ${elapsed.toFixed(1)} s = ${(segmentsDuringLoad / elapsed).toFixed(2)} segments/s (${((segmentsDuringLoad * 16) / elapsed).toFixed(1)} MB/s of WAL)`);
console.log(`lag bytes: p50 ${(p(lagBytes, 0.5) / 1048576).toFixed(1)} MB, max ${(Math.max(...lagBytes) / 1048576).toFixed(1)} MB`);
console.log(`lag seconds: p50 ${p(lagSeconds, 0.5).toFixed(2)} s, max ${Math.max(...lagSeconds).toFixed(2)} s`);
