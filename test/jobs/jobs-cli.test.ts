import { randomBytes } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { cliJson, runCli } from '../helpers/run-cli.js';
import { createTestStore } from '../helpers/test-database.js';
import { insertConnections } from './job-fixtures.js';

let store: Awaited<ReturnType<typeof createTestStore>>;
let env: Record<string, string>;

beforeAll(async () => {
  store = await createTestStore();
  await insertConnections(store.db, 'cli');
  await store.db.updateTable('connections').set({ name: 'cli-src' }).where('name', 'like', 'cli-source-%').execute();
  await store.db.updateTable('connections').set({ name: 'cli-dst' }).where('name', 'like', 'cli-dest-%').execute();
  env = { DATABASE_URL: store.url, PGFERRY_ENCRYPTION_KEY: randomBytes(32).toString('hex') };
});
afterAll(async () => {
  await store.close();
});

describe('pgferry jobs / runs', () => {
  it('creates, lists, runs, cancels and removes a job; refuses bad input with the field and exit code 2', async () => {
    const bad = await runCli(['jobs', 'create', 'sync', '--name', 'n1', '--source', 'cli-src', '--destination', 'cli-dst', '--cron', '0 0 31 13 *'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('field 4 (month)');
    expect(bad.stderr).toContain('[PGF_VALIDATION_FAILED]');

    const created = await runCli(['jobs', 'create', 'sync', '--name', 'nightly', '--source', 'cli-src', '--destination', 'cli-dst', '--cron', '30 2 * * *', '--timezone', 'Asia/Shanghai', '--mode', 'upsert', '--tables', 'public.a,public.b', '--json'], env);
    expect(created.code, created.stderr).toBe(0);
    const job = cliJson(created) as { id: string; default_mode: string; selection: unknown };
    expect(job).toMatchObject({ default_mode: 'upsert', selection: { tables: ['public.a', 'public.b'] } });
    expect(await store.db.selectFrom('sync_jobs').select('id').execute()).toHaveLength(1);

    const listed = await runCli(['jobs', 'list'], env);
    expect(listed.stdout).toMatch(/sync\s+\S+\s+nightly\s+— 30 2 \* \* \* \(Asia\/Shanghai; At 02:30\), next /);

    const run = await runCli(['jobs', 'run', 'nightly', '--json'], env);
    expect(run.code, run.stderr).toBe(0);
    const { run_id } = cliJson(run) as { run_id: string };
    const again = await runCli(['jobs', 'run', 'nightly'], env);
    expect(again.code).toBe(5);
    expect(again.stderr).toContain('already has a queued run');

    const runs = cliJson(await runCli(['runs', 'list', '--job', 'nightly', '--json'], env)) as { items: { id: string; trigger: string; status: string }[] };
    expect(runs.items).toEqual([expect.objectContaining({ id: run_id, trigger: 'cli', status: 'queued' })]);
    const cancelled = await runCli(['runs', 'cancel', run_id], env);
    expect(cancelled.stdout).toContain('cancelled');

    expect((await runCli(['jobs', 'rm', job.id], env)).code).toBe(0);
    expect(await store.db.selectFrom('sync_jobs').select('id').execute()).toHaveLength(0);
  }, 120_000);
});
