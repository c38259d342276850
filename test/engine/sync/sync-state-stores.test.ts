import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { sql as kyselySql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';

import { SyncStateFile, defaultSyncStatePath } from '../../../src/engine/sync/sync-state-file.js';
import { SyncStateRepository } from '../../../src/store/sync-state-repository.js';
import { createTestStore } from '../../helpers/test-database.js';

describe('high-water stores', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('the JSON state file keeps marks per scope and checkpoints per run, privately', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'pgferry-state-'));
    dirs.push(dir);
    const file = new SyncStateFile(path.join(dir, 'nested', 'sync-state.json'));
    expect(await file.get('a -> b', 's.t')).toBeUndefined();
    await Promise.all([file.set('a -> b', 's.t', 'updated_at', '2024-01-01 00:00:00+00'), file.set('a -> c', 's.t', 'id', '42'), file.markCommitted('run-1', 's.t')]);
    expect(await file.get('a -> b', 's.t')).toEqual({ cursor: 'updated_at', value: '2024-01-01 00:00:00+00' });
    expect(await file.get('a -> c', 's.t')).toEqual({ cursor: 'id', value: '42' });
    expect(await file.committed('run-1')).toEqual(new Set(['s.t']));
    expect(await file.committed('run-2')).toBeUndefined();
    expect((await stat(file.path)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(file.path, 'utf8'))).toMatchObject({ version: 1 });
    expect(defaultSyncStatePath({ PGFERRY_HOME: '/srv/pgferry' })).toBe('/srv/pgferry/sync-state.json');
    expect(defaultSyncStatePath({})).toMatch(/\.config\/pgferry\/state\.json$/);
  });

  it('the store repository keeps marks in pgferry.sync_state per sync job', async () => {
    const store = await createTestStore();
    try {
      const connection = (id: string) => kyselySql`INSERT INTO pgferry.connections (id, name, host, database, username) VALUES (${id}::uuid, ${id}, 'h', 'd', 'u')`.execute(store.db);
      await connection('00000000-0000-0000-0000-000000000001');
      await connection('00000000-0000-0000-0000-000000000002');
      const job = await kyselySql<{ id: string }>`INSERT INTO pgferry.sync_jobs (name, source_connection_id, destination_connection_id)
        VALUES ('j', '00000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-000000000002') RETURNING id`.execute(store.db);
      const jobId = job.rows[0]!.id;
      const repository = new SyncStateRepository(store.db);
      expect(await repository.get(jobId, 'sales.orders')).toBeUndefined();
      await repository.set(jobId, 'sales.orders', 'updated_at', '2024-01-01 00:00:00+00');
      await repository.set(jobId, 'sales.orders', 'updated_at', '2024-02-01 00:00:00+00');
      expect(await repository.get(jobId, 'sales.orders')).toEqual({ cursor: 'updated_at', value: '2024-02-01 00:00:00+00' });
      expect((await repository.list(jobId)).map((row) => row.table)).toEqual(['sales.orders']);
      expect(await repository.reset(jobId)).toBe(1);
      expect(await repository.get(jobId, 'sales.orders')).toBeUndefined();
    } finally {
      await store.close();
    }
  });
});
