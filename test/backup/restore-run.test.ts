import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { runBackup } from '../../src/engine/backup/run-backup.js';
import { openStorage } from '../../src/engine/storage/open-storage.js';
import { restoreExecutor } from '../../src/jobs/executors/restore-executor.js';
import { JobWorker } from '../../src/jobs/job-worker.js';
import { recordBackup } from '../../src/store/backup-repository.js';
import { getRun } from '../../src/store/run-repository.js';
import { loadStorageTarget } from '../../src/store/storage-repository.js';
import { trackResource } from '../helpers/leak-check.js';
import { type TestApp, createTestApp } from '../helpers/test-app.js';
import { createTestDatabase, serverUrl } from '../helpers/test-database.js';
import { quietLogger, waitFor } from '../jobs/job-fixtures.js';
import { configOf, scratchName } from './backup-fixtures.js';
import { archiveSigningKeyOf } from '../../src/secrets/archive-signing-key.js';

let t: TestApp;
let dir: string;
let source: { name: string; url: string };

beforeAll(async () => {
  t = await createTestApp();
  dir = await mkdtemp(path.join(os.tmpdir(), 'pgferry-restore-run-'));
  source = await createTestDatabase({ migrated: false, prefix: 'pgferry_bkrr' });
  const client = new pg.Client({ connectionString: source.url });
  await client.connect();
  await client.query('CREATE TABLE items (id int PRIMARY KEY, name text); INSERT INTO items SELECT g, md5(g::text) FROM generate_series(1, 700) g;');
  await client.end();
});

afterAll(async () => {
  await t.close();
  await rm(dir, { recursive: true, force: true });
});

describe('POST /api/v1/backups/:id/restore', () => {
  it('queues a restore run that a worker carries out; refuses clean on protected connections and without the typed name', async () => {
    const storage = (await t.request({ method: 'POST', url: '/api/v1/storages', payload: { name: 'shelf', kind: 'local', config: { path: dir } } })).json();
    const target = await loadStorageTarget(t.store.db, t.secrets, storage.id);
    const opened = openStorage(target.spec);
    const result = await runBackup({ signingKey: archiveSigningKeyOf(t.secrets), source: configOf(source.url), storage: opened, path: 'r1' });
    const backup = await recordBackup(t.store.db, { storageId: storage.id, archive: result.archives[0]!, compression: 'gzip' });
    await opened.close();

    const server = new URL(serverUrl());
    const scratch = scratchName();
    const insert = (name: string, database: string, isProtected: boolean) =>
      t.store.db
        .insertInto('connections')
        .values({ name, host: server.hostname, port: Number(server.port || 5432), database, username: decodeURIComponent(server.username), protected: isProtected })
        .returning('id')
        .executeTakeFirstOrThrow();
    const fresh = await insert('fresh', 'postgres', false);
    const prod = await insert('prod', source.name, true);

    const refused = await t.request({ method: 'POST', url: `/api/v1/backups/${backup.id}/restore`, as: 'operator', payload: { connection_id: prod.id, clean: true, confirm_name: 'prod' } });
    expect(refused.statusCode).toBe(409);
    expect(refused.json().error.code).toBe('PGF_RESTORE_REFUSED');
    const unconfirmed = await t.request({ method: 'POST', url: `/api/v1/backups/${backup.id}/restore`, as: 'operator', payload: { connection_id: fresh.id, clean: true } });
    expect(unconfirmed.statusCode).toBe(400);
    expect((await t.request({ method: 'POST', url: `/api/v1/backups/${backup.id}/restore`, as: 'viewer', payload: { connection_id: fresh.id, create: true, database: scratch.name } })).statusCode).toBe(403);

    const queued = await t.request({ method: 'POST', url: `/api/v1/backups/${backup.id}/restore`, as: 'operator', payload: { connection_id: fresh.id, create: true, database: scratch.name } });
    expect(queued.statusCode).toBe(202);
    const runId = queued.json().run_id as string;

    const worker = new JobWorker({ db: t.store.db, secrets: t.secrets, logger: quietLogger(), executors: { restore: restoreExecutor }, pollIntervalMs: 100, heartbeatIntervalMs: 500 });
    const release = trackResource('job worker', () => worker.stop(0));
    worker.start();
    try {
      const run = await waitFor(async () => {
        const current = await getRun(t.store.db, runId);
        return ['succeeded', 'failed', 'cancelled'].includes(current.status) ? current : undefined;
      }, 600_000, 'the restore run');
      expect(run.status, run.error_message ?? '').toBe('succeeded');
      expect(run.kind).toBe('restore');
      expect(run.params).toMatchObject({ target_database: scratch.name, connection_id: fresh.id });
      expect(Number(run.total_rows)).toBe(700);
    } finally {
      release();
      await worker.stop(0);
    }
    const restored = new pg.Client({ connectionString: scratch.url });
    await restored.connect();
    try {
      expect((await restored.query('SELECT count(*)::int AS n FROM public.items')).rows[0].n).toBe(700);
    } finally {
      await restored.end();
    }
  });
});
