import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type TestApp, createTestApp } from '../helpers/test-app.js';
import { freePort, hasRedisServer, startRedis } from './redis-test-server.js';

type Summary = {
  cached: boolean;
  days: number;
  runs_per_day: { day: string; succeeded: number; incomplete: number; failed: number; cancelled: number }[];
  totals: { runs: number; succeeded: number; incomplete: number; failed: number; success_rate: number | null; rows: number; bytes: number };
  running: number;
  queued: number;
  last_backup_per_connection: { connection: string; age_s: number }[];
  storage_used: { storage: string; bytes: number; backups: number }[];
};

async function seed(app: TestApp): Promise<void> {
  const db = app.store.db;
  const connection = (
    await sql<{ id: string }>`INSERT INTO connections (name, host, database, username) VALUES ('erp', 'h', 'erp', 'u') RETURNING id`.execute(db)
  ).rows[0]!.id;
  const storage = (await sql<{ id: string }>`INSERT INTO storages (name, kind) VALUES ('nas', 'local') RETURNING id`.execute(db)).rows[0]!.id;
  await sql`
    INSERT INTO runs (kind, trigger, status, started_at, finished_at, total_rows, total_bytes) VALUES
      ('sync', 'cli', 'succeeded', now() - interval '1 minute', now(), 100, 1000),
      ('sync', 'cli', 'succeeded', now() - interval '2 days', now() - interval '2 days', 50, 500),
      ('backup', 'cli', 'failed', now() - interval '1 minute', now(), 0, 0),
      ('sync', 'cli', 'succeeded', now() - interval '40 days', now() - interval '40 days', 9999, 9999)`.execute(db);
  await sql`INSERT INTO runs (kind, trigger, status) VALUES ('sync', 'cli', 'queued')`.execute(db);
  await sql`INSERT INTO backups (connection_id, storage_id, database_name, location, format, compression, size_bytes, state, created_at) VALUES
    (${connection}, ${storage}, 'erp', 'a', 'native', 'gzip', 300, 'verified', now() - interval '3 hours'),
    (${connection}, ${storage}, 'erp', 'b', 'native', 'gzip', 200, 'expired', now() - interval '30 days')`.execute(db);
}

describe('GET /api/v1/dashboard/summary', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await createTestApp();
    await seed(app);
  });
  afterAll(async () => app?.close());

  it('aggregates runs per day, totals, the queue, backup ages and storage use', async () => {
    const response = await app.request({ method: 'GET', url: '/api/v1/dashboard/summary?days=7', as: 'viewer' });
    expect(response.statusCode).toBe(200);
    const summary = response.json() as Summary;
    expect(summary.cached).toBe(false);
    expect(summary.runs_per_day).toHaveLength(7);
    expect(summary.runs_per_day.at(-1)).toMatchObject({ succeeded: 1, incomplete: 0, failed: 1 });
    // The 40-day-old run is outside the window.
    expect(summary.totals).toEqual({ runs: 3, succeeded: 2, incomplete: 0, failed: 1, success_rate: 2 / 3, rows: 150, bytes: 1500 });
    expect(summary.queued).toBe(1);
    expect(summary.running).toBe(0);
    expect(summary.last_backup_per_connection).toHaveLength(1);
    expect(summary.last_backup_per_connection[0]!.connection).toBe('erp');
    expect(summary.last_backup_per_connection[0]!.age_s).toBeGreaterThan(3 * 3600 - 60);
    expect(summary.storage_used).toEqual([expect.objectContaining({ storage: 'nas', bytes: 300, backups: 1 })]);
  });

  it('counts incomplete runs per day and against the success rate, never as succeeded', async () => {
    await sql`INSERT INTO runs (kind, trigger, status, started_at, finished_at, total_rows, total_bytes)
      VALUES ('sync', 'cli', 'incomplete', now() - interval '1 minute', now(), 10, 100)`.execute(app.store.db);
    const summary = (await app.request({ method: 'GET', url: '/api/v1/dashboard/summary?days=7', as: 'viewer' })).json() as Summary;
    expect(summary.runs_per_day.at(-1)).toMatchObject({ succeeded: 1, incomplete: 1, failed: 1, cancelled: 0 });
    expect(summary.totals).toEqual({ runs: 4, succeeded: 2, incomplete: 1, failed: 1, success_rate: 2 / 4, rows: 160, bytes: 1600 });
  });

  it('refuses bad input and anonymous callers', async () => {
    expect((await app.request({ method: 'GET', url: '/api/v1/dashboard/summary?days=0' })).statusCode).toBe(400);
    expect((await app.request({ method: 'GET', url: '/api/v1/dashboard/summary?days=abc' })).statusCode).toBe(400);
    expect((await app.request({ method: 'GET', url: '/api/v1/dashboard/summary', as: 'anonymous' })).statusCode).toBe(401);
  });
});

describe.skipIf(!hasRedisServer())('GET /api/v1/dashboard/summary with REDIS_URL (needs redis-server)', () => {
  it('serves from the cache, and keeps answering from PostgreSQL when Redis dies mid-test', async () => {
    const port = await freePort();
    const redis = await startRedis(port);
    const app = await createTestApp({ REDIS_URL: `redis://127.0.0.1:${port}/0` });
    try {
      await seed(app);
      const get = async () => {
        const response = await app.request({ method: 'GET', url: '/api/v1/dashboard/summary' });
        expect(response.statusCode).toBe(200);
        return response.json() as Summary;
      };
      // The first request may race the connection; wait until a value lands in Redis.
      expect((await get()).cached).toBe(false);
      for (let attempt = 0; attempt < 50 && !(await get()).cached; attempt += 1) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const cached = await get();
      expect(cached.cached).toBe(true);
      expect(cached.totals.runs).toBe(3);

      await redis.stop();
      const during = await get();
      expect(during.cached).toBe(false);
      expect(during.totals.runs).toBe(3);
      expect((await get()).cached).toBe(false);
      expect(app.logs.some((line) => line.includes('continuing without the cache'))).toBe(true);
    } finally {
      await app.close();
      await redis.stop();
    }
  });
});
