import { randomBytes } from 'node:crypto';
import { chmod } from 'node:fs/promises';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { listPhysicalBackups } from '../../src/engine/physical/list-physical-backups.js';
import { LocalStorage } from '../../src/engine/storage/local-storage.js';
import { keyFromBytes } from '../../src/secrets/encryption-key.js';
import { SecretBox } from '../../src/secrets/secret-box.js';
import { type HttpClient, listenForHttp } from '../helpers/http-client.js';
import { type TestCluster, startCluster } from '../helpers/pg-cluster.js';
import { runCli } from '../helpers/run-cli.js';
import { type TestApp, createTestApp } from '../helpers/test-app.js';
import { waitFor } from '../jobs/job-fixtures.js';
import { startPgferryWorker } from '../jobs/worker-processes.js';
import { removeDir, scratchDir, withClient } from '../wal/wal-fixtures.js';
import { saveProtectedPair } from './protection-fixtures.js';

// A protected connection with a drill schedule and keep_last: the worker's cron ticker queues a
// physical drill run, the drill passes on the newest base backup, then retention deletes the older one.

const key = randomBytes(32);
let t: TestApp;
let http: HttpClient;
let cluster: TestCluster;
let home: string;

beforeAll(async () => {
  t = await createTestApp({}, { secrets: new SecretBox(keyFromBytes(key)) });
  http = await listenForHttp(t);
  cluster = await startCluster({ major: 17 });
  home = await scratchDir('pgferry-protection-drill-');
});
afterAll(async () => {
  await t?.close();
  await cluster?.stop();
  await removeDir(home);
});

const backupsIn = async (storagePath: string) => {
  const storage = new LocalStorage(storagePath);
  try {
    return (await listPhysicalBackups(storage)).map((backup) => backup.path).sort();
  } finally {
    await storage.close();
  }
};

describe('scheduled physical drill and retention', () => {
  it('refuses a bad drill schedule; a due drill runs as a run, passes, and prunes to keep_last', async () => {
    const storagePath = path.join(home, 'storage');
    const { connection } = await saveProtectedPair(t.store.db, t.secrets, cluster, storagePath, 'drill');
    await chmod(storagePath, 0o755);
    const bad = await http('PUT', `/api/v1/connections/${connection.id}/protection`, { storage: 'wal-drill', drill_cron: 'every day' });
    expect(bad.status).toBe(400);
    const on = await http('PUT', `/api/v1/connections/${connection.id}/protection`, { storage: 'wal-drill', drill_cron: '0 3 * * *', drill_timezone: 'Asia/Shanghai', keep_last: 1 });
    expect(on.status, JSON.stringify(on.json)).toBe(200);
    expect(on.json).toMatchObject({ drill_cron: '0 3 * * *', drill_timezone: 'Asia/Shanghai', keep_last: 1 });
    expect(Date.parse(on.json.drill_next_fire_at as string)).toBeGreaterThan(Date.now());

    const env = { DATABASE_URL: t.store.url, PGFERRY_ENCRYPTION_KEY: key.toString('hex'), PGFERRY_HOME: path.join(home, 'home') };
    const worker = startPgferryWorker(['--poll-ms', '200', '--heartbeat-ms', '500'], env);
    try {
      await worker.ready;
      await waitFor(async () => (await http('GET', `/api/v1/connections/${connection.id}/protection`)).json.streaming === true, 600_000, 'the worker to stream');
      await withClient(cluster.url(), (client) => client.query('CREATE TABLE drilled AS SELECT generate_series(1, 500) AS id'));
      for (const name of ['base1', 'base2']) {
        const made = await runCli(['backup', '--from', cluster.url(), '--to', storagePath, '--format', 'physical', '--name', name, '--json'], env);
        expect(made.code, made.stderr).toBe(0);
      }
      expect(await backupsIn(storagePath)).toEqual(['base1', 'base2']);

      // Due now rather than at 03:00 Shanghai time: the worker's ticker fires it.
      await t.store.db.updateTable('connection_protection').set({ drill_next_fire_at: new Date(Date.now() - 1000) }).where('connection_id', '=', connection.id).execute();
      const run = await waitFor(
        () => t.store.db.selectFrom('runs').selectAll().where('kind', '=', 'drill').where('status', 'in', ['succeeded', 'failed', 'incomplete']).executeTakeFirst(),
        600_000,
        'the scheduled drill run to end',
      );
      const logs = (await t.store.db.selectFrom('run_logs').select(['message']).where('run_id', '=', run.id).orderBy('id').execute()).map((line) => line.message).join('\n');
      expect(run.status, `${run.error_message ?? ''}\n${logs}\n${worker.output()}`).toBe('succeeded');
      expect(run.trigger).toBe('schedule');
      expect(logs).toContain('drill passed');
      expect(logs).toContain('retention: kept 1 base backup(s)');
      expect(await backupsIn(storagePath)).toEqual(['base2']);
      const after = await http('GET', `/api/v1/connections/${connection.id}/protection`);
      expect(Date.parse(after.json.drill_next_fire_at as string)).toBeGreaterThan(Date.now());
      const listed = await http('GET', '/api/v1/runs?kind=drill', undefined, 'viewer');
      expect(JSON.stringify(listed.json)).toContain(run.id);
    } finally {
      await worker.stop();
    }
  });
});
