import { Writable } from 'node:stream';

import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';

import { NoCache } from '../../src/cache/cache.js';
import { createCache } from '../../src/cache/create-cache.js';
import { RedisCache } from '../../src/cache/redis-cache.js';
import { createLogger } from '../../src/logger.js';
import { createTestApp } from '../helpers/test-app.js';
import { freePort, hasRedisServer, startRedis } from './redis-test-server.js';

function captureLogger() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(chunk.toString());
      callback();
    },
  });
  return { lines, logger: createLogger({ level: 'debug', destination, pretty: false }) };
}

const waitFor = async (condition: () => Promise<boolean>, what: string) => {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
};

const caches: RedisCache[] = [];
afterEach(async () => {
  await Promise.all(caches.splice(0).map((cache) => cache.close()));
});

describe.skipIf(!hasRedisServer())('RedisCache (needs redis-server)', () => {
  it('caches values, and keeps answering when Redis dies mid-test, then recovers', async () => {
    const port = await freePort();
    let redis = await startRedis(port);
    const { lines, logger } = captureLogger();
    const cache = new RedisCache({ url: `redis://127.0.0.1:${port}/0`, logger, keyPrefix: `t${port}:` });
    caches.push(cache);
    let computed = 0;
    const compute = async () => ({ runs: ++computed });
    await waitFor(async () => (await cache.set('probe', 1, 60), (await cache.get<number>('probe')) === 1), 'redis to be ready');

    expect(await cache.wrap('dashboard:summary', 60, compute)).toEqual({ runs: 1 });
    expect(await cache.wrap('dashboard:summary', 60, compute)).toEqual({ runs: 1 });
    expect(computed).toBe(1);

    await redis.stop();
    // Every call still answers, from PostgreSQL (here: compute), without throwing.
    expect(await cache.wrap('dashboard:summary', 60, compute)).toEqual({ runs: 2 });
    expect(await cache.wrap('dashboard:summary', 60, compute)).toEqual({ runs: 3 });
    expect(await cache.get('dashboard:summary')).toBeUndefined();
    await cache.set('x', 1, 60);
    await cache.invalidate('dashboard:');
    const warnings = lines.map((line) => JSON.parse(line) as { level: number; msg: string }).filter((line) => line.level === 40);
    expect(warnings.length).toBeGreaterThanOrEqual(1);
    // One warning per outage, not one per failed request.
    expect(warnings.length).toBeLessThanOrEqual(2);
    expect(warnings[0]?.msg).toMatch(/continuing without the cache/);

    redis = await startRedis(port);
    await waitFor(async () => (await cache.set('probe', 2, 60), (await cache.get<number>('probe')) === 2), 'the cache to reconnect');
    expect(await cache.wrap('dashboard:summary', 60, compute)).toEqual({ runs: 4 });
    expect(await cache.wrap('dashboard:summary', 60, compute)).toEqual({ runs: 4 });
    expect(lines.some((line) => line.includes('reachable again'))).toBe(true);
    await redis.stop();
  });

  it('retries a failed command once before giving up', async () => {
    const port = await freePort();
    const redis = await startRedis(port);
    const { lines, logger } = captureLogger();
    const cache = new RedisCache({ url: `redis://127.0.0.1:${port}`, logger, commandTimeoutMs: 1000 });
    caches.push(cache);
    const blocker = new Redis(`redis://127.0.0.1:${port}`);
    try {
      await waitFor(async () => (await cache.set('k', 'v', 60), (await cache.get('k')) === 'v'), 'redis');
      // The server freezes for 1.5 s: the first GET times out after 1 s, the retry gets the answer.
      const frozen = blocker.call('DEBUG', 'SLEEP', '1.5');
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(await cache.get('k')).toBe('v');
      await frozen;
      expect(lines.filter((line) => line.includes('continuing without the cache'))).toEqual([]);
    } finally {
      blocker.disconnect();
      await redis.stop();
    }
  });

  it('invalidates by prefix only', async () => {
    const port = await freePort();
    const redis = await startRedis(port);
    const { logger } = captureLogger();
    const cache = new RedisCache({ url: `redis://127.0.0.1:${port}`, logger });
    caches.push(cache);
    try {
      await waitFor(async () => (await cache.set('introspection:a:tables', [1], 60), (await cache.get('introspection:a:tables')) !== undefined), 'redis');
      await cache.set('introspection:a:columns', [2], 60);
      await cache.set('introspection:b:tables', [3], 60);
      await cache.invalidate('introspection:a:');
      expect(await cache.get('introspection:a:tables')).toBeUndefined();
      expect(await cache.get('introspection:a:columns')).toBeUndefined();
      expect(await cache.get('introspection:b:tables')).toEqual([3]);
    } finally {
      await redis.stop();
    }
  });

  it('never fails a request when REDIS_URL points at nothing, and never logs the Redis password', async () => {
    const port = await freePort();
    const testApp = await createTestApp({ REDIS_URL: `redis://:s3cret-redis-pw@127.0.0.1:${port}/0` });
    try {
      expect(testApp.app.cache.kind).toBe('redis');
      let computed = 0;
      const value = await testApp.app.cache.wrap('k', 10, async () => ++computed);
      expect(value).toBe(1);
      const response = await testApp.request({ method: 'GET', url: '/health' });
      expect(response.statusCode).toBe(200);
      await waitFor(async () => testApp.logs.some((line) => line.includes('continuing without the cache')), 'the warning');
      expect(testApp.logs.join('')).not.toContain('s3cret-redis-pw');
    } finally {
      await testApp.close();
    }
  });
});

describe('without REDIS_URL', () => {
  it('uses a cache that always computes', async () => {
    const { logger } = captureLogger();
    const cache = createCache({ url: undefined, logger });
    expect(cache).toBeInstanceOf(NoCache);
    let computed = 0;
    expect(await cache.wrap('k', 60, async () => ++computed)).toBe(1);
    expect(await cache.wrap('k', 60, async () => ++computed)).toBe(2);
    expect(await cache.get('k')).toBeUndefined();
  });
});
