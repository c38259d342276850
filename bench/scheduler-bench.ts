// Driver of bench/scheduler.sh (run it through that script). Two parts:
//  1. scheduler: JOBS jobs on a 6-field schedule, WORKERS worker processes (the real JobWorker
//     with a stand-in engine, test/jobs/fixtures/sleep-worker.ts) for SECONDS; reports
//     tick-to-start latency p50/p99/max, runs, duplicates (must be 0) and skipped ticks.
//  2. api: RUNS rows in `runs`, `pgferry serve --no-worker` on loopback, GET
//     /api/v1/runs?limit=50 at RATE requests/s for API_SECONDS; reports p50/p99/max.
import { spawn } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';

import { sql } from 'kysely';

import { generateApiToken } from '../src/auth/secret-token.js';
import { createStoreDatabase } from '../src/store/create-database.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const url = process.env.STORE_URL as string;
const jobs = Number(process.env.JOBS ?? 500);
const workers = Number(process.env.WORKERS ?? 4);
const seconds = Number(process.env.SECONDS_RUN ?? 30);
const cron = process.env.CRON ?? '*/5 * * * * *';
const totalRuns = Number(process.env.RUNS ?? 100_000);
const rate = Number(process.env.RATE ?? 100);
const apiSeconds = Number(process.env.API_SECONDS ?? 15);

const quantile = (values: number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function startProcess(args: string[], env: Record<string, string>, ready: RegExp) {
  const child = spawn(process.execPath, args, { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const started = new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (ready.test(output)) resolve();
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => reject(new Error(`process exited (${code}):\n${output}`)));
  });
  started.catch(() => undefined);
  return { child, started, output: () => output };
}

async function schedulerPart(store: ReturnType<typeof createStoreDatabase>) {
  await sql`CREATE TABLE IF NOT EXISTS public.executions (run_id uuid NOT NULL, worker_id text NOT NULL, started_at timestamptz NOT NULL, finished_at timestamptz NOT NULL)`.execute(store.db);
  const [source, destination] = await store.db
    .insertInto('connections')
    .values([
      { name: 'bench-src', host: '127.0.0.1', database: 'x', username: 'x' },
      { name: 'bench-dst', host: '127.0.0.1', database: 'y', username: 'y' },
    ])
    .returning('id')
    .execute();
  await sql`
    INSERT INTO sync_jobs (name, source_connection_id, destination_connection_id, cron, enabled)
    SELECT 'bench-' || g, ${source!.id}::uuid, ${destination!.id}::uuid, ${cron}, false FROM generate_series(1, ${jobs}) g`.execute(store.db);
  const processes = Array.from({ length: workers }, (_, index) =>
    startProcess(['--import', 'tsx', path.join(root, 'test/jobs/fixtures/sleep-worker.ts')], { DATABASE_URL: url, WORKER_ID: `bench-${index + 1}`, SLEEP_MS: '50', POLL_MS: '250', CONCURRENCY: process.env.CONCURRENCY ?? '16' }, /^ready /m),
  );
  await Promise.all(processes.map((process) => process.started));
  const step = Number(/^\*\/(\d+)/.exec(cron)?.[1] ?? 5) * 1000;
  const first = new Date(Math.ceil((Date.now() + 1000) / step) * step);
  await store.db.updateTable('sync_jobs').set({ enabled: true, next_fire_at: first }).execute();
  // The last tick is first + seconds; give it a moment to be fired before the schedule stops.
  await sleep(first.getTime() - Date.now() + seconds * 1000 + 1500);
  await store.db.updateTable('sync_jobs').set({ enabled: false }).execute();
  for (let waited = 0; waited < 60; waited += 1) {
    const active = await store.db.selectFrom('runs').select('id').where('status', 'in', ['queued', 'running']).execute();
    if (active.length === 0) break;
    await sleep(1000);
  }
  for (const process of processes) process.child.kill('SIGTERM');
  const runs = await store.db.selectFrom('runs').select(['sync_job_id', 'scheduled_for', 'started_at', 'status']).where('trigger', '=', 'schedule').execute();
  const latencies = runs.filter((run) => run.started_at && run.scheduled_for).map((run) => run.started_at!.getTime() - run.scheduled_for!.getTime());
  const tickKeys = new Set(runs.map((run) => `${run.sync_job_id}|${run.scheduled_for?.toISOString()}`));
  const executions = (await sql<{ n: string; distinct_runs: string }>`SELECT count(*) AS n, count(DISTINCT run_id) AS distinct_runs FROM public.executions`.execute(store.db)).rows[0]!;
  const skipped = (await sql<{ n: string }>`SELECT coalesce(sum(skipped_ticks), 0) AS n FROM sync_jobs`.execute(store.db)).rows[0]!;
  const ticks = Math.floor((seconds * 1000) / step) + 1;
  console.log(`scheduler: ${jobs} jobs × ~${ticks} ticks (${cron}), ${workers} worker processes, ${seconds} s`);
  console.log(`  runs: ${runs.length} (expected ≈ ${jobs * ticks}), succeeded: ${runs.filter((run) => run.status === 'succeeded').length}`);
  console.log(`  tick-to-start latency: p50 ${quantile(latencies, 0.5)} ms, p99 ${quantile(latencies, 0.99)} ms, max ${Math.max(...latencies)} ms`);
  console.log(`  duplicates: ${runs.length - tickKeys.size} runs per tick, ${Number(executions.n) - Number(executions.distinct_runs)} double executions; skipped ticks: ${skipped.n}`);
}

async function apiPart(store: ReturnType<typeof createStoreDatabase>) {
  const job = await store.db.selectFrom('sync_jobs').select('id').limit(1).executeTakeFirst();
  await sql`
    INSERT INTO runs (kind, sync_job_id, job_name, trigger, status, queued_at, started_at, finished_at, total_rows, total_bytes)
    SELECT 'sync', ${job?.id ?? null}, 'bench', 'manual', (ARRAY['succeeded','failed','cancelled'])[1 + g % 3],
      now() - make_interval(secs => g), now() - make_interval(secs => g), now() - make_interval(secs => g) + interval '1 s', g, g * 100
    FROM generate_series(1, ${totalRuns}) g`.execute(store.db);
  await sql`ANALYZE runs`.execute(store.db);
  const user = await store.db.insertInto('users').values({ username: 'bench-admin', password_hash: '!', role: 'admin' }).returning('id').executeTakeFirstOrThrow();
  const secret = generateApiToken();
  await store.db.insertInto('api_tokens').values({ user_id: user.id, name: 'bench', role: 'admin', token_prefix: secret.prefix, token_hash: secret.hash }).execute();
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const server = startProcess([path.join(root, 'bin/pgferry.js'), 'serve', '--no-worker', '--port', String(port)], { DATABASE_URL: url, PGFERRY_ENCRYPTION_KEY: randomBytes(32).toString('hex'), LOG_LEVEL: 'warn', PGFERRY_HOME: '/tmp/pgferry-bench-home' }, /./);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });
  const get = () =>
    new Promise<number>((resolve, reject) => {
      const started = performance.now();
      const request = http.get({ host: '127.0.0.1', port, path: '/api/v1/runs?limit=50', agent, headers: { authorization: `Bearer ${secret.token}` } }, (response) => {
        response.resume();
        response.on('end', () => (response.statusCode === 200 ? resolve(performance.now() - started) : reject(new Error(`HTTP ${response.statusCode}`))));
      });
      request.on('error', reject);
    });
  for (let attempt = 0; ; attempt += 1) {
    try {
      await get();
      break;
    } catch (error) {
      if (attempt > 120) throw error;
      await sleep(500);
    }
  }
  for (let index = 0; index < 50; index += 1) await get(); // warm-up
  const latencies: number[] = [];
  const pending: Promise<void>[] = [];
  const interval = 1000 / rate;
  const start = performance.now();
  for (let index = 0; index < rate * apiSeconds; index += 1) {
    const due = start + index * interval;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    pending.push(get().then((ms) => void latencies.push(ms)));
  }
  await Promise.all(pending);
  const elapsed = (performance.now() - start) / 1000;
  server.child.kill('SIGTERM');
  agent.destroy();
  console.log(`api: GET /api/v1/runs?limit=50 with ${totalRuns} runs, ${latencies.length} requests in ${elapsed.toFixed(1)} s (${(latencies.length / elapsed).toFixed(0)}/s)`);
  console.log(`  latency: p50 ${quantile(latencies, 0.5).toFixed(1)} ms, p99 ${quantile(latencies, 0.99).toFixed(1)} ms, max ${Math.max(...latencies).toFixed(1)} ms (target p99 < 50 ms)`);
}

const store = createStoreDatabase({ connectionString: url, poolMax: 4 });
try {
  if (process.env.ONLY !== 'api') await schedulerPart(store);
  if (process.env.ONLY !== 'scheduler') await apiPart(store);
} finally {
  await store.close();
}
