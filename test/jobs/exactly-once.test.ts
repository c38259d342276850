import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createSyncJob } from '../../src/jobs/sync-job-service.js';
import { createStoreDatabase } from '../../src/store/create-database.js';
import { trackResource } from '../helpers/leak-check.js';
import { createTestDatabase } from '../helpers/test-database.js';
import { insertConnections, waitFor } from './job-fixtures.js';
import { startSleepWorker } from './worker-processes.js';

const jobCount = 20;
const workers = 3;
const windowMs = 20_000;

let database: { name: string; url: string };
let store: ReturnType<typeof createStoreDatabase>;
let release: () => void;

beforeAll(async () => {
  database = await createTestDatabase({ prefix: 'pgferry_once' });
  store = createStoreDatabase({ connectionString: database.url, poolMax: 3 });
  release = trackResource('store pool', () => store.close());
  await sql`CREATE TABLE public.executions (run_id uuid NOT NULL, worker_id text NOT NULL, started_at timestamptz NOT NULL, finished_at timestamptz NOT NULL)`.execute(store.db);
});

afterAll(async () => {
  release();
  await store.close();
});

describe('scheduling across processes', () => {
  it(`${workers} worker processes, ${jobCount} jobs every 2 s for 20 s: one run per job per tick, no duplicates, no overlaps`, async () => {
    const connections = await insertConnections(store.db, 'once');
    const jobIds: string[] = [];
    for (let index = 0; index < jobCount; index += 1) {
      const job = await createSyncJob(store.db, {
        name: `every-2s-${index}`,
        source_connection_id: connections.source,
        destination_connection_id: connections.destination,
        cron: '*/2 * * * * *',
        enabled: false,
      });
      jobIds.push(job.id);
    }
    const processes = Array.from({ length: workers }, (_, index) =>
      startSleepWorker({ DATABASE_URL: database.url, WORKER_ID: `w${index + 1}`, SLEEP_MS: '300', POLL_MS: '200', CONCURRENCY: '8' }),
    );
    let first = new Date();
    let last = new Date();
    try {
      await Promise.all(processes.map((process) => process.ready));
      // Every worker is up: schedule all jobs from the next even second on.
      first = new Date(Math.ceil((Date.now() + 1000) / 2000) * 2000);
      await store.db.updateTable('sync_jobs').set({ enabled: true, next_fire_at: first }).execute();
      last = new Date(first.getTime() + windowMs - 2000);
      await new Promise((resolve) => setTimeout(resolve, last.getTime() - Date.now() + 500));
      await store.db.updateTable('sync_jobs').set({ enabled: false }).execute();
      await waitFor(async () => {
        const active = await store.db.selectFrom('runs').select('id').where('status', 'in', ['queued', 'running']).execute();
        return active.length === 0;
      }, 600_000, 'the last runs to finish');
    } finally {
      for (const process of processes) await process.stop();
    }

    const runs = await store.db.selectFrom('runs').selectAll().where('trigger', '=', 'schedule').orderBy('scheduled_for').execute();
    const executions = (await sql<{ run_id: string; worker_id: string; started_at: Date; finished_at: Date }>`SELECT * FROM public.executions`.execute(store.db)).rows;
    const expectedTicks = Math.round((last.getTime() - first.getTime()) / 2000) + 1;

    // Every run ran once, on one worker, and succeeded.
    expect(runs.every((run) => run.status === 'succeeded')).toBe(true);
    expect(executions).toHaveLength(runs.length);
    expect(new Set(executions.map((execution) => execution.run_id)).size).toBe(runs.length);
    const byWorker = new Set(runs.map((run) => run.worker_id));
    expect(byWorker.size).toBeGreaterThanOrEqual(2);

    for (const jobId of jobIds) {
      const jobRuns = runs.filter((run) => run.sync_job_id === jobId);
      const ticks = jobRuns.map((run) => run.scheduled_for!.getTime());
      // One run per tick, no duplicates, every tick from first to last.
      expect(new Set(ticks).size, `job ${jobId}`).toBe(ticks.length);
      expect(ticks, `job ${jobId}`).toEqual(Array.from({ length: expectedTicks }, (_, index) => first.getTime() + index * 2000));
      // No overlaps: each run started after the previous one finished.
      for (let index = 1; index < jobRuns.length; index += 1) {
        expect(jobRuns[index]!.started_at!.getTime()).toBeGreaterThanOrEqual(jobRuns[index - 1]!.finished_at!.getTime());
      }
    }
    const skipped = await store.db.selectFrom('sync_jobs').select((eb) => eb.fn.sum<string>('skipped_ticks').as('n')).executeTakeFirstOrThrow();
    expect(Number(skipped.n)).toBe(0);
    console.log(`exactly-once: ${runs.length} runs (${jobCount} jobs × ${expectedTicks} ticks) on ${byWorker.size} workers, 0 duplicates, 0 overlaps`);
  });
});
