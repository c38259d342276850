// Driver of bench/physical.sh (run it through that script): a throw-away PostgreSQL 17
// cluster holding ~SIZE_MB of table data, then `pgferry backup --format physical` per
// compression and `pgferry restore --to-dir`, each as a subprocess under GNU time.
// Prints wall time, stored size and peak RSS; asserts nothing (figures, not a test).
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import pg from 'pg';

import { EmbeddedPostgres } from '../src/store/embedded-postgres.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const sizeMb = Number(process.env.SIZE_MB ?? 100);
const compressions = (process.env.COMPRESSIONS ?? 'gzip zstd none').split(/\s+/).filter(Boolean);

interface Measured {
  wallSeconds: number;
  rssMb: number;
  stdout: string;
}

function measure(args: string[], env: Record<string, string>): Promise<Measured> {
  return new Promise((resolve, reject) => {
    const timeFile = path.join(os.tmpdir(), `pgferry-bench-time-${process.pid}-${Date.now()}`);
    const started = process.hrtime.bigint();
    const child = spawn('/usr/bin/time', ['-v', '-o', timeFile, process.execPath, path.join(root, 'bin/pgferry.js'), ...args], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', async (code) => {
      const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9;
      const timing = await readFile(timeFile, 'utf8').catch(() => '');
      await rm(timeFile, { force: true });
      if (code !== 0) return reject(new Error(`pgferry ${args.join(' ')} exited ${code}: ${stderr.slice(-2000)}`));
      const rssKb = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(timing)?.[1] ?? 0);
      resolve({ wallSeconds, rssMb: rssKb / 1024, stdout });
    });
  });
}

const home = await mkdtemp(path.join(os.tmpdir(), 'pgferry-bench-physical-'));
const server = new EmbeddedPostgres({ dataDir: path.join(home, 'pg'), port: 0, settings: { max_wal_senders: 4 } });
await server.start();
try {
  const client = new pg.Client({ connectionString: server.connectionString() });
  await client.connect();
  // ~230 bytes per row of mixed text (half compressible) plus its primary key index.
  const rows = Math.round((sizeMb * 1024 * 1024) / 260);
  await client.query('CREATE TABLE bench_rows (id int PRIMARY KEY, label text, payload text, at timestamptz)');
  await client.query(
    "INSERT INTO bench_rows SELECT g, 'row ' || g, md5(g::text) || md5((g * 7)::text) || repeat('x', 64) || md5(random()::text) || md5(random()::text), now() - g * interval '1 second' FROM generate_series(1, $1) g",
    [rows],
  );
  await client.query('CHECKPOINT');
  const size = await client.query<{ s: string }>('SELECT sum(pg_database_size(oid))::bigint AS s FROM pg_database');
  await client.end();
  console.log(`cluster: PostgreSQL 17, ${rows} rows, databases ${(Number(size.rows[0]?.s) / 1024 / 1024).toFixed(0)} MB`);
  console.log('variant              wall_s   stored_MB   peak_RSS_MB');
  const env = { PGFERRY_HOME: path.join(home, 'cli-home'), PGFERRY_ENCRYPTION_KEY: 'b'.repeat(64) };
  let gzipArchive: string | undefined;
  for (const compression of compressions) {
    const target = path.join(home, `store-${compression}`);
    const run = await measure(['backup', '--from', server.connectionString(), '--to', target, '--format', 'physical', '--compress', compression, '--name', 'b', '--json'], env);
    const summary = JSON.parse(run.stdout) as { archives: { size_bytes: number }[] };
    const stored = summary.archives[0]?.size_bytes ?? 0;
    console.log(`backup-${compression.padEnd(14)} ${run.wallSeconds.toFixed(2).padStart(6)}   ${(stored / 1024 / 1024).toFixed(1).padStart(9)}   ${run.rssMb.toFixed(0).padStart(11)}`);
    if (compression === 'gzip') gzipArchive = path.join(target, 'b');
  }
  if (gzipArchive) {
    const restored = await measure(['restore', gzipArchive, '--to-dir', path.join(home, 'restored')], env);
    console.log(`restore-gzip         ${restored.wallSeconds.toFixed(2).padStart(6)}   ${'-'.padStart(9)}   ${restored.rssMb.toFixed(0).padStart(11)}`);
  }
} finally {
  await server.stop();
  await rm(home, { recursive: true, force: true });
}
