import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type App, buildApp } from '../../src/api/build-app.js';
import { createUser } from '../../src/auth/user-admin.js';
import { createLogger } from '../../src/logger.js';
import { type TestApp, createTestApp } from '../helpers/test-app.js';

const password = 'throttled-password-123';

describe('login rate limit', () => {
  let t: TestApp;
  let second: App;

  beforeAll(async () => {
    t = await createTestApp({ PGFERRY_LOGIN_MAX_ATTEMPTS: '3', PGFERRY_LOGIN_MAX_ATTEMPTS_PER_IP: '5', PGFERRY_LOGIN_WINDOW_SECONDS: '600' });
    // A second API process on the same store: the counters must be shared through PostgreSQL.
    second = await buildApp({ config: t.config, store: t.store, logger: createLogger({ level: 'silent', pretty: false }), secrets: t.secrets });
    await createUser(t.store, { username: 'bob', password, role: 'viewer' });
    await createUser(t.store, { username: 'carol', password, role: 'viewer' });
  });
  afterAll(async () => {
    await second.close();
    await t.close();
  });

  const attempt = (app: App, username: string, secret: string, ip: string) =>
    app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username, password: secret }, remoteAddress: ip });

  it('locks a user after too many failures, across API processes and IPs, with 429 and Retry-After', async () => {
    expect((await attempt(t.app, 'bob', 'wrong-password-1', '192.0.2.1')).statusCode).toBe(401);
    expect((await attempt(second, 'bob', 'wrong-password-2', '192.0.2.2')).statusCode).toBe(401);
    expect((await attempt(t.app, 'BOB', 'wrong-password-3', '192.0.2.3')).statusCode).toBe(401);
    // Even the right password is refused while the user is locked.
    const locked = await attempt(second, 'bob', password, '192.0.2.4');
    expect(locked.statusCode).toBe(429);
    expect(locked.json().error.code).toBe('PGF_RATE_LIMITED');
    const retryAfter = Number(locked.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(600);
    // Other users are not affected by bob's lock.
    expect((await attempt(t.app, 'carol', password, '192.0.2.5')).statusCode).toBe(200);
    // When the window has passed, bob can log in again.
    await t.store.db.updateTable('login_throttle').set({ window_started_at: new Date(Date.now() - 601_000) }).where('key', '=', 'user:bob').execute();
    expect((await attempt(t.app, 'bob', password, '192.0.2.4')).statusCode).toBe(200);
  });

  it('locks an IP that tries many usernames', async () => {
    const ip = '198.51.100.7';
    for (let i = 0; i < 5; i += 1) expect((await attempt(i % 2 ? second : t.app, `ghost${i}`, 'nope-nope-nope', ip)).statusCode).toBe(401);
    const locked = await attempt(t.app, 'carol', password, ip);
    expect(locked.statusCode).toBe(429);
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0);
    expect((await attempt(t.app, 'carol', password, '198.51.100.8')).statusCode).toBe(200);
  });

  it('counts the client behind a trusted proxy by X-Forwarded-For, and ignores that header otherwise', async () => {
    const trusting = await buildApp({
      config: { ...t.config, PGFERRY_TRUST_PROXY: '127.0.0.1' },
      store: t.store,
      logger: createLogger({ level: 'silent', pretty: false }),
      secrets: t.secrets,
    });
    try {
      const headers = { 'x-forwarded-for': '203.0.113.9' };
      const viaProxy = await trusting.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'xff', password: 'nope-nope-nope' }, remoteAddress: '127.0.0.1', headers });
      const spoofed = await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'xff', password: 'nope-nope-nope' }, remoteAddress: '192.0.2.77', headers });
      const rows = await t.store.db
        .selectFrom('audit_log')
        .select(['request_id', 'ip'])
        .where('request_id', 'in', [String(viaProxy.headers['x-request-id']), String(spoofed.headers['x-request-id'])])
        .execute();
      expect(rows.find((row) => row.request_id === viaProxy.headers['x-request-id'])?.ip).toBe('203.0.113.9');
      expect(rows.find((row) => row.request_id === spoofed.headers['x-request-id'])?.ip).toBe('192.0.2.77');
      const keys = (await t.store.db.selectFrom('login_throttle').select('key').execute()).map((row) => row.key);
      expect(keys).toEqual(expect.arrayContaining(['ip:203.0.113.9', 'ip:192.0.2.77']));
      expect(keys).not.toContain('ip:127.0.0.1');
    } finally {
      await trusting.close();
    }
  });

  it('records every attempt in the audit log: success, failure and lockout', async () => {
    const rows = await t.store.db.selectFrom('audit_log').selectAll().where('action', '=', 'auth.login').where('actor_name', '!=', 'xff').orderBy('id').execute();
    const statuses = rows.map((row) => row.status);
    expect(statuses.filter((status) => status === 401).length).toBe(8);
    expect(statuses.filter((status) => status === 429).length).toBe(2);
    expect(statuses.filter((status) => status === 200).length).toBe(3);
    const failed = rows.find((row) => row.status === 401);
    expect(failed).toMatchObject({ actor_type: 'anonymous', actor_name: 'bob', ip: '192.0.2.1' });
    const ok = rows.find((row) => row.status === 200);
    expect(ok).toMatchObject({ actor_type: 'user', actor_name: 'carol' });
    expect(JSON.stringify(rows)).not.toContain(password);
  });
});
