import { randomBytes } from 'node:crypto';
import { chmod, readFile } from 'node:fs/promises';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { parseLsn } from '../../src/engine/wal/lsn.js';
import { keyFromBytes } from '../../src/secrets/encryption-key.js';
import { SecretBox } from '../../src/secrets/secret-box.js';
import { getRun } from '../../src/store/run-repository.js';
import { type HttpClient, listenForHttp } from '../helpers/http-client.js';
import { type TestCluster, startCluster } from '../helpers/pg-cluster.js';
import { cliJson, runCli } from '../helpers/run-cli.js';
import { type TestApp, createTestApp } from '../helpers/test-app.js';
import { waitFor } from '../jobs/job-fixtures.js';
import { type WorkerProcess, startPgferryWorker } from '../jobs/worker-processes.js';
import { freePort, removeDir, scratchDir, stopRestored, withClient } from '../wal/wal-fixtures.js';
import { saveProtectedPair, storedSegments, uploadedPast } from './protection-fixtures.js';

// The restore-to-time of the protection page, over HTTP: a real `pgferry worker` streams the
// cluster's WAL, then restores its base backup into a directory, recovered to a noted moment.

const key = randomBytes(32);
let t: TestApp;
let http: HttpClient;
let cluster: TestCluster;
let home: string;

beforeAll(async () => {
  t = await createTestApp({}, { secrets: new SecretBox(keyFromBytes(key)) });
  http = await listenForHttp(t);
  cluster = await startCluster({ major: 17 });
  home = await scratchDir('pgferry-protection-restore-');
});
afterAll(async () => {
  await t?.close();
  await cluster?.stop();
  await removeDir(home);
});

const count = (url: string) => withClient(url, async (client) => (await client.query<{ n: number }>('SELECT count(*)::int AS n FROM pitr_rows')).rows[0]!.n);

describe('restore to a time over the API', () => {
  it('refuses a moment outside the window, then a worker restores the backup to a noted time: exactly the rows of that moment', async () => {
    const storagePath = path.join(home, 'storage');
    const { connection } = await saveProtectedPair(t.store.db, t.secrets, cluster, storagePath, 'restore');
    // restore_command runs as the server's user (postgres, when tests run as root): it reads the storage.
    await chmod(storagePath, 0o755);
    const env = { DATABASE_URL: t.store.url, PGFERRY_ENCRYPTION_KEY: key.toString('hex'), PGFERRY_HOME: path.join(home, 'home') };
    expect((await http('PUT', `/api/v1/connections/${connection.id}/protection`, { storage: 'wal-restore' })).status).toBe(200);
    const worker = startPgferryWorker(['--poll-ms', '200', '--heartbeat-ms', '500'], env);
    const restoredDir = path.join(home, 'restored');
    try {
      await worker.ready;
      await restoreToNotedTime(connection.id, storagePath, restoredDir, env, worker);
    } finally {
      stopRestored(restoredDir, cluster.binaries.pg_ctl);
      await worker.stop();
    }
  });
});

async function restoreToNotedTime(connectionId: string, storagePath: string, restoredDir: string, env: Record<string, string>, worker: WorkerProcess): Promise<void> {
  const connection = { id: connectionId };
  await waitFor(async () => (await http('GET', `/api/v1/connections/${connection.id}/protection`)).json.streaming === true, 600_000, 'the worker to stream');

  const made = await runCli(['backup', '--from', cluster.url(), '--to', storagePath, '--format', 'physical', '--name', 'base1', '--json'], env);
  expect(made.code, made.stderr).toBe(0);
  cliJson(made);
  const noted = await withClient(cluster.url(), async (client) => {
    await client.query('CREATE TABLE pitr_rows (id int primary key)');
    await client.query('INSERT INTO pitr_rows SELECT generate_series(1, 100)');
    return (await client.query<{ at: string }>(`SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS at`)).rows[0]!.at;
  });
  const end = await withClient(cluster.url(), async (client) => {
    await client.query('INSERT INTO pitr_rows SELECT generate_series(101, 250)');
    return (await client.query<{ lsn: string }>('SELECT pg_switch_wal()::text AS lsn')).rows[0]!.lsn;
  });
  await waitFor(() => uploadedPast(t.store.db, connection.id, end), 600_000, `the WAL up to ${end} to be reported stored`);
  // The segment holding the second batch's commit, in storage: recovery must read past the noted time.
  const segment = (parseLsn(end) - 1n) / BigInt(16 * 1024 * 1024);
  await waitFor(async () => (await storedSegments(storagePath)).segments.includes(segment), 180_000, `segment ${segment} in storage`);

  const timeline = await http('GET', `/api/v1/connections/${connection.id}/protection/timeline`, undefined, 'viewer');
  const window = (timeline.json.windows as { backup: string; consistent_at: string }[]).find((candidate) => candidate.backup === 'base1');
  expect(window, JSON.stringify(timeline.json)).toBeDefined();

  const port = await freePort();
  const before = await http('POST', `/api/v1/connections/${connection.id}/protection/restore`, { backup: 'base1', target_time: '2001-01-01T00:00:00Z', to_dir: restoredDir, start: true });
  expect(before.status).toBe(400);
  expect(JSON.stringify(before.json)).toContain('outside the restorable window');
  const unknown = await http('POST', `/api/v1/connections/${connection.id}/protection/restore`, { backup: 'nope', latest: true, to_dir: restoredDir, start: false });
  expect(unknown.status).toBe(400);
  const operator = await http('POST', `/api/v1/connections/${connection.id}/protection/restore`, { backup: 'base1', target_time: noted, to_dir: restoredDir, start: true }, 'operator');
  expect(operator.status).toBe(403);

  const queued = await http('POST', `/api/v1/connections/${connection.id}/protection/restore`, { backup: 'base1', target_time: noted, to_dir: restoredDir, start: true, port });
  expect(queued.status, JSON.stringify(queued.json)).toBe(202);
  const run = await waitFor(async () => {
    const current = await getRun(t.store.db, queued.json.run_id as string);
    return ['succeeded', 'failed', 'incomplete'].includes(current.status) ? current : undefined;
  }, 600_000, 'the restore run to end');
  const logs = await t.store.db.selectFrom('run_logs').select(['message']).where('run_id', '=', run.id).orderBy('id').execute();
  const recoveryLog = await readFile(path.join(restoredDir, 'log/pgferry-recovery.log'), 'utf8').catch(() => '');
  expect(run.status, `${run.error_message ?? ''}\n${logs.map((line) => line.message).join('\n')}\n${recoveryLog}\n${worker.output()}`).toBe('succeeded');
  expect(logs.map((line) => line.message).join('\n')).toContain(`open on port ${port}`);

  const restoredUrl = cluster.url().replace(`:${cluster.port}/`, `:${port}/`);
  expect(await count(restoredUrl)).toBe(100);
  expect(await count(cluster.url())).toBe(250);
}
