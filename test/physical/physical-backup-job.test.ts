import { readdir } from 'node:fs/promises';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { verifyArchive } from '../../src/engine/archive/verify-archive.js';
import { LocalStorage } from '../../src/engine/storage/local-storage.js';
import { createBackupJob } from '../../src/jobs/backup-job-service.js';
import { createConnection } from '../../src/jobs/connection-service.js';
import { defaultExecutors } from '../../src/jobs/executors/default-executors.js';
import { JobWorker } from '../../src/jobs/job-worker.js';
import { runJobNow } from '../../src/jobs/run-service.js';
import { archiveSigningKeyOf } from '../../src/secrets/archive-signing-key.js';
import { getRun } from '../../src/store/run-repository.js';
import { trackResource } from '../helpers/leak-check.js';
import { type TestCluster, startCluster } from '../helpers/pg-cluster.js';
import { createTestStore } from '../helpers/test-database.js';
import { quietLogger, testSecrets, waitFor } from '../jobs/job-fixtures.js';
import { removeDir, scratchDir, withClient } from '../wal/wal-fixtures.js';

// Saved backup jobs make physical base backups too: recorded like native archives (listed,
// with an id), pruned by the job's retention; options that do not apply are refused.
let store: Awaited<ReturnType<typeof createTestStore>>;
let cluster: TestCluster;
let directory: string;

beforeAll(async () => {
  store = await createTestStore();
  cluster = await startCluster({ major: 17 });
  directory = await scratchDir('pgferry-physical-job-');
  await withClient(cluster.url(), (client) => client.query('CREATE TABLE orders (id int primary key, note text); INSERT INTO orders SELECT g, md5(g::text) FROM generate_series(1, 2000) g'));
});
afterAll(async () => {
  await store.close();
  await cluster?.stop();
  await removeDir(directory);
});

describe('a saved physical backup job', () => {
  it('refuses options that pick databases or tables, then backs up the cluster twice, recording both and keeping the last', async () => {
    const secrets = testSecrets();
    const connection = await createConnection(store.db, secrets, {
      name: 'cluster-17',
      fields: { host: '127.0.0.1', port: cluster.port, database: 'postgres', user: 'postgres', password: cluster.password, sslmode: 'disable' },
    });
    const storage = await store.db.insertInto('storages').values({ name: 'physical-local', kind: 'local', config: JSON.stringify({ path: directory }) }).returning('id').executeTakeFirstOrThrow();
    const base = { connection_id: connection.id, storage_ids: [storage.id], format: 'physical' as const };
    await expect(createBackupJob(store.db, { ...base, name: 'picky', selection: { tables: ['public.orders'] }, verification: { drill: true } })).rejects.toMatchObject({
      code: 'PGF_VALIDATION_FAILED',
      details: { fields: expect.arrayContaining([expect.objectContaining({ field: 'selection' }), expect.objectContaining({ field: 'verification.drill' })]) },
    });

    const job = await createBackupJob(store.db, { ...base, name: 'cluster nightly', retention: { keep_last: 1 } });
    const worker = new JobWorker({ db: store.db, secrets, logger: quietLogger(), executors: defaultExecutors, pollIntervalMs: 100, heartbeatIntervalMs: 500 });
    const release = trackResource('job worker', () => worker.stop(0));
    worker.start();
    try {
      for (let index = 0; index < 2; index += 1) {
        const run = await runJobNow(store.db, 'backup', job.id, { trigger: 'manual' });
        const ended = await waitFor(async () => {
          const current = await getRun(store.db, run.id);
          return ['succeeded', 'failed', 'cancelled'].includes(current.status) ? current : undefined;
        }, 600_000, 'the physical backup run');
        expect(ended.status, ended.error_message ?? '').toBe('succeeded');
      }
    } finally {
      release();
      await worker.stop(0);
    }
    const backups = await store.db.selectFrom('backups').selectAll().where('backup_job_id', '=', job.id).orderBy('created_at').execute();
    expect(backups.map((backup) => [backup.format, backup.state])).toEqual([
      ['physical', 'expired'],
      ['physical', 'complete'],
    ]);
    expect(await readdir(path.join(directory, 'cluster-nightly'))).toHaveLength(1);
    const kept = new LocalStorage(directory);
    try {
      const verified = await verifyArchive({ storage: kept, path: backups[1]!.location }, { trust: { signingKey: archiveSigningKeyOf(secrets) } });
      expect(verified.ok).toBe(true);
      expect(verified.manifest.physical?.server_major).toBe(17);
    } finally {
      await kept.close();
    }
  });
});
