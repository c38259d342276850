import { Redis } from 'ioredis';
import pg from 'pg';
import { describe, expect, it } from 'vitest';

import { type TestApp, createTestApp } from '../helpers/test-app.js';
import { createTestDatabase } from '../helpers/test-database.js';
import { freePort, hasRedisServer, startRedis } from './redis-test-server.js';

async function onTarget(url: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

describe.skipIf(!hasRedisServer())('connection browsing with REDIS_URL (needs redis-server)', () => {
  it('serves a second browse from the cache, drops it on update/delete, and keeps browsing when Redis dies', async () => {
    const port = await freePort();
    const redis = await startRedis(port);
    const app: TestApp = await createTestApp({ REDIS_URL: `redis://127.0.0.1:${port}/0` });
    const inspector = new Redis(`redis://127.0.0.1:${port}/0`, { lazyConnect: true });
    try {
      await inspector.connect();
      const target = await createTestDatabase({ migrated: false, prefix: 'pgferry_icache' });
      await onTarget(target.url, 'CREATE SCHEMA sales; CREATE TABLE sales.customers (id int PRIMARY KEY, name text NOT NULL);');

      const body = { name: 'browse-cached', url: target.url };
      const created = await app.request({ method: 'POST', url: '/api/v1/connections', payload: body });
      expect(created.statusCode).toBe(201);
      const id = (created.json() as { id: string }).id;
      const keysOf = async (connectionId: string) => (await inspector.keys(`pgferry:introspection:${connectionId}:*`)).sort();

      const get = async (url: string) => {
        const response = await app.request({ method: 'GET', url, as: 'viewer' });
        expect(response.statusCode, response.body).toBe(200);
        return response.json() as { items?: { name: string }[]; columns?: { name: string }[] };
      };
      const tableNames = async () => (await get('/api/v1/connections/browse-cached/tables?schema=sales')).items!.map((table) => table.name);
      const columnNames = async () => (await get('/api/v1/connections/browse-cached/tables/sales/customers')).columns!.map((column) => column.name);

      // The first requests may race the cache's connection; browse until the results land in Redis.
      for (let attempt = 0; attempt < 50 && (await keysOf(id)).length < 3; attempt += 1) {
        expect(await tableNames()).toEqual(['customers']);
        expect(await columnNames()).toEqual(['id', 'name']);
        await get('/api/v1/connections/browse-cached/schemas');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(await keysOf(id)).toEqual([
        `pgferry:introspection:${id}:schemas`,
        `pgferry:introspection:${id}:table:sales:customers`,
        `pgferry:introspection:${id}:tables:sales`,
      ]);

      // Changes made after the first browse stay invisible while the cached answer lives...
      await onTarget(target.url, 'CREATE TABLE sales.orders (id int PRIMARY KEY); ALTER TABLE sales.customers ADD COLUMN email text;');
      expect(await tableNames()).toEqual(['customers']);
      expect(await columnNames()).toEqual(['id', 'name']);

      // ...until the connection is updated, which forgets its cached catalog.
      const updated = await app.request({ method: 'PUT', url: '/api/v1/connections/browse-cached', payload: { ...body, description: 'edited' } });
      expect(updated.statusCode).toBe(200);
      expect(await keysOf(id)).toEqual([]);
      expect(await tableNames()).toEqual(['customers', 'orders']);
      expect(await columnNames()).toEqual(['id', 'name', 'email']);
      expect((await keysOf(id)).length).toBe(2);

      // Deleting it forgets them too.
      expect((await app.request({ method: 'DELETE', url: '/api/v1/connections/browse-cached' })).statusCode).toBe(204);
      expect(await keysOf(id)).toEqual([]);

      // With Redis gone, browsing still answers from PostgreSQL.
      expect((await app.request({ method: 'POST', url: '/api/v1/connections', payload: body })).statusCode).toBe(201);
      inspector.disconnect();
      await redis.stop();
      expect(await tableNames()).toEqual(['customers', 'orders']);
      expect(await columnNames()).toEqual(['id', 'name', 'email']);
      await onTarget(target.url, 'CREATE TABLE sales.invoices (id int PRIMARY KEY);');
      expect(await tableNames()).toEqual(['customers', 'invoices', 'orders']);
      const editedWhileDown = await app.request({ method: 'PUT', url: '/api/v1/connections/browse-cached', payload: { ...body, description: 'edited again' } });
      expect(editedWhileDown.statusCode).toBe(200);
      expect(app.logs.some((line) => line.includes('continuing without the cache'))).toBe(true);
    } finally {
      inspector.disconnect();
      await app.close();
      await redis.stop();
    }
  });
});
