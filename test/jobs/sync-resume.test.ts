import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { defaultExecutors } from '../../src/jobs/executors/default-executors.js';
import { JobWorker } from '../../src/jobs/job-worker.js';
import { resumeRun, runJobNow } from '../../src/jobs/run-service.js';
import { listRunLogs } from '../../src/store/run-log-repository.js';
import { getRun } from '../../src/store/run-repository.js';
import { createSyncJob, updateSyncJob } from '../../src/jobs/sync-job-service.js';
import { trackResource } from '../helpers/leak-check.js';
import { createTestDatabase, createTestStore, serverUrl } from '../helpers/test-database.js';
import { quietLogger, testSecrets, waitFor } from './job-fixtures.js';

let store: Awaited<ReturnType<typeof createTestStore>>;
let source: { name: string; url: string };
let destination: { name: string; url: string };

async function query(url: string, text: string): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(text);
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  store = await createTestStore();
  source = await createTestDatabase({ migrated: false, prefix: 'pgferry_resume_src' });
  destination = await createTestDatabase({ migrated: false, prefix: 'pgferry_resume_dst' });
  await query(source.url, `CREATE TABLE public.alpha (id integer PRIMARY KEY, v text); INSERT INTO public.alpha SELECT g, 'a' || g FROM generate_series(1, 300) g;
    CREATE TABLE public.beta (id integer PRIMARY KEY, v text); INSERT INTO public.beta SELECT g, 'b' || g FROM generate_series(1, 200) g;`);
});
afterAll(async () => {
  await store.close();
});

const ended = (runId: string) =>
  waitFor(async () => {
    const run = await getRun(store.db, runId);
    return ['succeeded', 'failed', 'cancelled'].includes(run.status) ? run : undefined;
  }, 60_000, `run ${runId}`);

describe('resume of a failed sync run', () => {
  it('skips the tables the failed run committed and copies the rest', async () => {
    const server = new URL(serverUrl());
    const [src, dst] = await store.db
      .insertInto('connections')
      .values([
        { name: 'resume-src', host: server.hostname, port: Number(server.port || 5432), database: source.name, username: decodeURIComponent(server.username) },
        { name: 'resume-dst', host: server.hostname, port: Number(server.port || 5432), database: destination.name, username: decodeURIComponent(server.username) },
      ])
      .returning('id')
      .execute();
    // beta's filter names a column that does not exist: alpha commits, beta fails.
    const job = await createSyncJob(store.db, {
      name: 'resume-me',
      source_connection_id: src!.id,
      destination_connection_id: dst!.id,
      selection: { tables: ['public.alpha', 'public.beta'] },
      table_options: { 'public.beta': { where: 'no_such_column > 0' } },
    });
    const worker = new JobWorker({ db: store.db, secrets: testSecrets(), logger: quietLogger(), executors: defaultExecutors, pollIntervalMs: 100, heartbeatIntervalMs: 500 });
    const release = trackResource('job worker', () => worker.stop(0));
    worker.start();
    try {
      const first = await ended((await runJobNow(store.db, 'sync', job.id, { trigger: 'manual' })).id);
      expect(first.status).toBe('failed');
      expect(first.error_message).toContain('beta');
      expect((await query(destination.url, 'SELECT count(*)::int AS n FROM public.alpha')).rows[0].n).toBe(300);

      await updateSyncJob(store.db, job.id, { table_options: { 'public.beta': { where: 'id > 0' } } });
      const resumed = await resumeRun(store.db, first.id);
      const done = await ended(resumed.id);
      expect(done.status, done.error_message ?? '').toBe('succeeded');
      expect(done.resume_of).toBe(first.id);
      const messages = (await listRunLogs(store.db, done.id, { limit: 200 })).map((line) => line.message);
      expect(messages).toContain(`resuming run ${first.id}: 1 committed table(s) are skipped`);
      expect(messages.some((message) => message.startsWith('copying public.alpha'))).toBe(false);
      expect(messages.some((message) => message.startsWith('copying public.beta'))).toBe(true);
      expect((await query(destination.url, 'SELECT count(*)::int AS n FROM public.beta')).rows[0].n).toBe(200);
    } finally {
      release();
      await worker.stop(0);
    }
  });
});
