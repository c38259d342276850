import { cp, rm } from 'node:fs/promises';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { runBackup } from '../../src/engine/backup/run-backup.js';
import { listPhysicalBackups } from '../../src/engine/physical/list-physical-backups.js';
import { restorePhysicalBackup } from '../../src/engine/physical/restore-physical.js';
import { LocalStorage } from '../../src/engine/storage/local-storage.js';
import { createBackupJob } from '../../src/jobs/backup-job-service.js';
import { createConnection } from '../../src/jobs/connection-service.js';
import { defaultExecutors } from '../../src/jobs/executors/default-executors.js';
import { JobWorker } from '../../src/jobs/job-worker.js';
import { runJobNow } from '../../src/jobs/run-service.js';
import { archiveSigningKeyOf } from '../../src/secrets/archive-signing-key.js';
import type { SecretBox } from '../../src/secrets/secret-box.js';
import { listRunLogs } from '../../src/store/run-log-repository.js';
import { getRun } from '../../src/store/run-repository.js';
import { trackResource } from '../helpers/leak-check.js';
import { type TestCluster, startCluster } from '../helpers/pg-cluster.js';
import { cliJson, runCli } from '../helpers/run-cli.js';
import { startDataDir } from '../helpers/start-data-dir.js';
import { createTestStore } from '../helpers/test-database.js';
import { quietLogger, testSecrets, waitFor } from '../jobs/job-fixtures.js';
import { removeDir, scratchDir, withClient } from '../wal/wal-fixtures.js';

// A physical backup job with incremental_full_every: each run an incremental on the job's
// previous backup in its folder, every Nth run a full one, a full one whenever the previous
// backup cannot be built on; a server that cannot take incrementals fails the run.
let store: Awaited<ReturnType<typeof createTestStore>>;
let cluster: TestCluster;
let directory: string;
let secrets: SecretBox;
let worker: JobWorker;
let release: () => void;
let storageId: string;

async function runJob(jobId: string) {
  const run = await runJobNow(store.db, 'backup', jobId, { trigger: 'manual' });
  const ended = await waitFor(async () => {
    const current = await getRun(store.db, run.id);
    return ['succeeded', 'failed', 'cancelled'].includes(current.status) ? current : undefined;
  }, 600_000, 'the backup run');
  const logs = (await listRunLogs(store.db, run.id, { limit: 500 })).map((line) => line.message);
  return { run: ended, logs, decision: logs.find((line) => /^local: (full backup|incremental on)/.test(line)) };
}

const rowCount = (url: string) => withClient(url, async (client) => Number((await client.query<{ n: string }>('SELECT count(*) AS n FROM orders')).rows[0]!.n));
const addRows = (from: number) => withClient(cluster.url(), (client) => client.query('INSERT INTO orders SELECT g, md5(g::text) FROM generate_series($1::int, $1::int + 499) g', [from]));

beforeAll(async () => {
  store = await createTestStore();
  cluster = await startCluster({ major: 17, settings: { summarize_wal: 'on', wal_level: 'replica' } });
  directory = await scratchDir('pgferry-incremental-job-');
  await withClient(cluster.url(), (client) => client.query('CREATE TABLE orders (id int primary key, note text); INSERT INTO orders SELECT g, md5(g::text) FROM generate_series(1, 2000) g'));
  secrets = testSecrets();
  storageId = (await store.db.insertInto('storages').values({ name: 'local', kind: 'local', config: JSON.stringify({ path: path.join(directory, 'storage') }) }).returning('id').executeTakeFirstOrThrow()).id;
  worker = new JobWorker({ db: store.db, secrets, logger: quietLogger(), executors: defaultExecutors, pollIntervalMs: 100, heartbeatIntervalMs: 500 });
  release = trackResource('job worker', () => worker.stop(0));
  worker.start();
});
afterAll(async () => {
  release?.();
  await worker?.stop(0);
  await store?.close();
  await cluster?.stop();
  if (directory) await removeDir(directory);
});

describe('a physical backup job with incremental_full_every', () => {
  it('takes full, incremental, incremental, full on its own chain; the last incremental restores; an unusable parent gives a full backup', async () => {
    const connection = await createConnection(store.db, secrets, {
      name: 'cluster-17',
      fields: { host: '127.0.0.1', port: cluster.port, database: 'postgres', user: 'postgres', password: cluster.password, sslmode: 'disable' },
    });
    const job = await createBackupJob(store.db, { name: 'cluster incremental', connection_id: connection.id, storage_ids: [storageId], format: 'physical', incremental_full_every: 3 });
    expect(job.incremental_full_every).toBe(3);
    const storage = new LocalStorage(path.join(directory, 'storage'));
    const folder = 'cluster-incremental';
    const listed = async () => (await listPhysicalBackups(storage, { under: folder })).map((backup) => ({ name: path.posix.basename(backup.path), parent: backup.parent && path.posix.basename(backup.parent) }));
    try {
      const first = await runJob(job.id);
      expect(first.run.status, first.run.error_message ?? '').toBe('succeeded');
      expect(first.decision).toMatch(/^local: full backup \(no earlier backup/);
      await addRows(10_001);
      // A newer physical backup of the same cluster outside the job's folder is not a parent.
      await runBackup({ source: { connectionString: cluster.url() }, storage, format: 'physical', compression: 'gzip', signingKey: archiveSigningKeyOf(secrets), path: 'stray' });

      const second = await runJob(job.id);
      expect(second.run.status, second.run.error_message ?? '').toBe('succeeded');
      await addRows(20_001);
      const third = await runJob(job.id);
      expect(third.run.status, third.run.error_message ?? '').toBe('succeeded');
      const rowsAtThird = await rowCount(cluster.url());
      await addRows(30_001);
      const fourth = await runJob(job.id);
      expect(fourth.run.status, fourth.run.error_message ?? '').toBe('succeeded');

      const [b0, b1, b2, b3] = (await listed()).map((backup) => backup.name) as [string, string, string, string];
      expect(await listed()).toEqual([
        { name: b0, parent: undefined },
        { name: b1, parent: b0 },
        { name: b2, parent: b1 },
        { name: b3, parent: undefined },
      ]);
      expect(second.decision).toBe(`local: incremental on ${b0} (1 of at most 2 since the full backup)`);
      expect(third.decision).toBe(`local: incremental on ${b1} (2 of at most 2 since the full backup)`);
      expect(fourth.decision).toMatch(/^local: full backup \(.* already ends a chain of 2 incremental backup\(s\)/);
      const recorded = await store.db.selectFrom('backups').select(['location', 'format']).where('backup_job_id', '=', job.id).orderBy('created_at').execute();
      expect(recorded.map((backup) => path.posix.basename(backup.location))).toEqual([b0, b1, b2, b3]);

      // The second incremental restores through its chain with the rows written before it.
      const toDir = path.join(directory, 'restored');
      await restorePhysicalBackup({ storage, path: `${folder}/${b2}`, toDir, trust: { signingKey: archiveSigningKeyOf(secrets) } });
      const server = await startDataDir(cluster.binaries, toDir, directory);
      try {
        expect(await rowCount(server.url('postgres', cluster.password))).toBe(rowsAtThird);
      } finally {
        await server.stop();
      }
      await rm(toDir, { recursive: true, force: true });

      // An incremental on the new full backup; then its parent is replaced by another backup:
      // the chain check refuses it as a parent, and the run takes a full backup instead.
      const fifth = await runJob(job.id);
      expect(fifth.decision).toBe(`local: incremental on ${b3} (1 of at most 2 since the full backup)`);
      const b4 = (await listed()).at(-1)!.name;
      await rm(path.join(directory, 'storage', folder, b3), { recursive: true });
      await cp(path.join(directory, 'storage', folder, b0), path.join(directory, 'storage', folder, b3), { recursive: true });
      const sixth = await runJob(job.id);
      expect(sixth.run.status, sixth.run.error_message ?? '').toBe('succeeded');
      expect(sixth.logs).toContainEqual(expect.stringMatching(new RegExp(`^local: ${b4} cannot be the parent of an incremental backup: .* on top of `)));
      expect(sixth.logs).toContain(`local: full backup (instead of the incremental on ${b4})`);
      const b5 = (await listed()).at(-1)!;
      expect(b5.parent).toBeUndefined();

      // A backup verify found corrupt is not built on either.
      await store.db.updateTable('backups').set({ state: 'corrupt' }).where('backup_job_id', '=', job.id).where('location', '=', `${folder}/${b5.name}`).execute();
      const seventh = await runJob(job.id);
      expect(seventh.run.status, seventh.run.error_message ?? '').toBe('succeeded');
      expect(seventh.decision).toBe(`local: full backup (the latest backup ${b5.name} was found corrupt by verify)`);
    } finally {
      await storage.close();
    }
  });

  it('fails the run on PostgreSQL 15 with PGF_INCREMENTAL_UNAVAILABLE instead of taking full backups (job made with the CLI)', async () => {
    await createConnection(store.db, secrets, { name: 'shared-15', fields: { host: '127.0.0.1', port: 5432, database: 'postgres', user: 'postgres', sslmode: 'disable' } });
    const created = await runCli(
      ['jobs', 'create', 'backup', '--name', 'old server', '--connection', 'shared-15', '--storage', 'local', '--format', 'physical', '--incremental-full-every', '4', '--json'],
      { DATABASE_URL: store.url, PGFERRY_ENCRYPTION_KEY: 'c'.repeat(64) },
    );
    expect(created.code, created.stderr).toBe(0);
    const job = cliJson(created) as { id: string; incremental_full_every: number };
    expect(job.incremental_full_every).toBe(4);
    const { run } = await runJob(job.id);
    expect(run).toMatchObject({ status: 'failed', error_code: 'PGF_INCREMENTAL_UNAVAILABLE' });
    expect(run.error_message).toContain('backup job "old server" takes incremental backups (incremental_full_every 4)');
    expect(run.error_message).toContain('PostgreSQL 17 or later');
    expect(await store.db.selectFrom('backups').select('id').where('backup_job_id', '=', job.id).execute()).toEqual([]);
  });
});
