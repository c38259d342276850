import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { buildApp } from '../../src/api/build-app.js';
import { loadConfig } from '../../src/config/load-config.js';
import { createLogger } from '../../src/logger.js';
import { keyFromBytes } from '../../src/secrets/encryption-key.js';
import { SecretBox } from '../../src/secrets/secret-box.js';
import { createStoreDatabase } from '../../src/store/create-database.js';
import { type TestApp, createTestApp } from '../helpers/test-app.js';
import { createTestDatabase } from '../helpers/test-database.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';

describe('health, readiness and API basics', () => {
  let testApp: TestApp;

  beforeAll(async () => {
    testApp = await createTestApp({ PGFERRY_CORS_ORIGINS: 'https://ui.example.com' });
  });
  afterAll(async () => {
    await testApp.close();
  });

  it('answers /health and /ready on a migrated store', async () => {
    const health = await testApp.request({ method: 'GET', url: '/health', as: 'anonymous' });
    expect(health.statusCode).toBe(200);
    expect(health.json()).toEqual({ status: 'ok' });

    const ready = await testApp.request({ method: 'GET', url: '/ready', as: 'anonymous' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toMatchObject({ status: 'ready', migration: expect.stringMatching(/^\d{4}_/) });
  });

  it('publishes the OpenAPI document and the Swagger UI', async () => {
    const spec = await testApp.request({ method: 'GET', url: '/api/v1/openapi.json', as: 'anonymous' });
    expect(spec.statusCode).toBe(200);
    const document = spec.json() as { openapi: string; paths: Record<string, unknown> };
    expect(document.openapi).toMatch(/^3\./);
    expect(Object.keys(document.paths)).toEqual(expect.arrayContaining(['/health', '/ready']));

    const docs = await testApp.request({ method: 'GET', url: '/docs/', as: 'anonymous' });
    expect(docs.statusCode).toBe(200);
    expect(docs.body).toMatch(/swagger/i);
  });

  it('answers unknown routes with the uniform error body and echoes the request id', async () => {
    const response = await testApp.request({
      method: 'GET',
      url: '/api/v1/no-such-thing',
      headers: { 'x-request-id': 'req-123' },
      as: 'anonymous',
    });
    expect(response.statusCode).toBe(404);
    expect(response.headers['x-request-id']).toBe('req-123');
    expect(response.json()).toEqual({
      error: { code: 'PGF_ROUTE_NOT_FOUND', message: expect.stringContaining('/api/v1/no-such-thing') },
      requestId: 'req-123',
    });
  });

  it('allows only the configured CORS origins', async () => {
    const allowed = await testApp.request({
      method: 'GET',
      url: '/health',
      headers: { origin: 'https://ui.example.com' },
      as: 'anonymous',
    });
    expect(allowed.headers['access-control-allow-origin']).toBe('https://ui.example.com');
    const other = await testApp.request({ method: 'GET', url: '/health', headers: { origin: 'https://evil.example.com' }, as: 'anonymous' });
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('writes JSON log lines with the request id', async () => {
    await testApp.request({ method: 'GET', url: '/health', headers: { 'x-request-id': 'log-me' }, as: 'anonymous' });
    const line = testApp.logs.map((text) => JSON.parse(text) as { reqId?: string }).find((entry) => entry.reqId === 'log-me');
    expect(line).toBeDefined();
  });
});

describe('/ready when the store goes away', () => {
  it('answers 503 with the reason while the store is unreachable and 200 once it is back', async () => {
    const database = await createTestDatabase();
    const target = new URL(database.url);
    const proxy = new TcpProxy(target.hostname, Number(target.port || 5432));
    await proxy.start();
    const viaProxy = new URL(database.url);
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(proxy.port);
    const store = createStoreDatabase({ connectionString: viaProxy.toString(), poolMax: 2, connectTimeoutMs: 1000 });
    const config = loadConfig({ env: { DATABASE_URL: viaProxy.toString() }, cwd: '/nonexistent' });
    const app = await buildApp({
      config,
      store,
      logger: createLogger({ level: 'silent', pretty: false }),
      secrets: new SecretBox(keyFromBytes(Buffer.alloc(32, 1))),
    });
    try {
      expect((await app.inject({ method: 'GET', url: '/ready' })).statusCode).toBe(200);

      await proxy.cut();
      const down = await app.inject({ method: 'GET', url: '/ready' });
      expect(down.statusCode).toBe(503);
      expect(down.json()).toMatchObject({ error: { code: 'PGF_STORE_UNREACHABLE', message: expect.stringMatching(/unreachable/) } });
      expect((await app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);

      await proxy.start();
      const up = await app.inject({ method: 'GET', url: '/ready' });
      expect(up.statusCode).toBe(200);
    } finally {
      await app.close();
      await store.close();
      await proxy.stop();
    }
  });

  it('answers 503 when migrations are pending', async () => {
    const database = await createTestDatabase({ migrated: false });
    const store = createStoreDatabase({ connectionString: database.url, poolMax: 2 });
    const app = await buildApp({
      config: loadConfig({ env: { DATABASE_URL: database.url }, cwd: '/nonexistent' }),
      store,
      logger: createLogger({ level: 'silent', pretty: false }),
      secrets: new SecretBox(keyFromBytes(Buffer.alloc(32, 1))),
    });
    try {
      const response = await app.inject({ method: 'GET', url: '/ready' });
      expect(response.statusCode).toBe(503);
      expect(response.json()).toMatchObject({ error: { code: 'PGF_SCHEMA_NOT_CURRENT', message: expect.stringContaining('pgferry db upgrade') } });
    } finally {
      await app.close();
      await store.close();
    }
  });
});
