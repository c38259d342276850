import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createBackupJob } from '../../src/jobs/backup-job-service.js';
import { createSyncJob } from '../../src/jobs/sync-job-service.js';
import { createConnection } from '../../src/jobs/connection-service.js';
import { enqueueRun } from '../../src/store/run-repository.js';
import type { RunStatus } from '../../src/store/store-types.js';
import { type TestApp, createTestApp } from '../helpers/test-app.js';

// Job lists carry each job's latest run (issue 16, part 3, item 4), so the UI shows a status
// column without a query per row. Through a listening server.
let t: TestApp;
let base: string;
let viewer: string;

interface ListAnswer {
  items: Array<{ id: string; name: string; last_run: { id: string; status: string; finished_at: string | null } | null }>;
}

async function list(path: string): Promise<ListAnswer> {
  const response = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${viewer}` } });
  expect(response.status).toBe(200);
  return (await response.json()) as ListAnswer;
}

/** A run of the job at a fixed queue time, left in `status` (no wall time involved). */
async function addRun(job: { syncJobId?: string; backupJobId?: string }, queuedAt: string, status: RunStatus, finishedAt: string | null) {
  const run = await enqueueRun(t.store.db, { kind: job.syncJobId ? 'sync' : 'backup', ...job, jobName: 'j', trigger: 'manual' });
  await t.store.db
    .updateTable('runs')
    .set({ status, queued_at: new Date(queuedAt), started_at: new Date(queuedAt), finished_at: finishedAt ? new Date(finishedAt) : null })
    .where('id', '=', run.id)
    .execute();
  return run.id;
}

beforeAll(async () => {
  t = await createTestApp();
  base = await t.app.listen({ port: 0, host: '127.0.0.1' });
  viewer = (await t.credentialsFor('viewer')).token;
});

afterAll(async () => {
  await t?.close();
});

describe('job lists: last run', () => {
  it('gives each sync and backup job its latest run, and null for a job that never ran', async () => {
    const fields = { host: '127.0.0.1', port: 5432, database: 'd', user: 'u', sslmode: 'prefer' } as const;
    const source = await createConnection(t.store.db, t.secrets, { name: 'lr-source', fields });
    const destination = await createConnection(t.store.db, t.secrets, { name: 'lr-destination', fields });
    const ran = await createSyncJob(t.store.db, { name: 'lr-ran', source_connection_id: source.id, destination_connection_id: destination.id });
    const idle = await createSyncJob(t.store.db, { name: 'lr-idle', source_connection_id: source.id, destination_connection_id: destination.id });
    const storage = await t.store.db.insertInto('storages').values({ name: 'lr-local', kind: 'local', config: JSON.stringify({ path: '/tmp/x' }) }).returning('id').executeTakeFirstOrThrow();
    const backup = await createBackupJob(t.store.db, { name: 'lr-backup', connection_id: source.id, storage_ids: [storage.id] });

    await addRun({ syncJobId: ran.id }, '2026-01-01T02:00:00Z', 'succeeded', '2026-01-01T02:05:00Z');
    const latest = await addRun({ syncJobId: ran.id }, '2026-01-02T02:00:00Z', 'failed', '2026-01-02T02:01:00Z');
    const running = await addRun({ backupJobId: backup.id }, '2026-01-03T02:00:00Z', 'running', null);

    const syncJobs = await list('/api/v1/sync-jobs');
    const byName = new Map(syncJobs.items.map((job) => [job.name, job]));
    expect(byName.get('lr-ran')?.last_run).toEqual({ id: latest, status: 'failed', finished_at: '2026-01-02T02:01:00.000Z' });
    expect(byName.get('lr-idle')?.last_run).toBeNull();
    expect(byName.has(idle.name)).toBe(true);

    const backupJobs = await list('/api/v1/backup-jobs');
    expect(backupJobs.items.find((job) => job.id === backup.id)?.last_run).toEqual({ id: running, status: 'running', finished_at: null });
  });
});
