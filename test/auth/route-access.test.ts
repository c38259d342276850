import { randomBytes, randomUUID } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { buildApp } from '../../src/api/build-app.js';
import type { RegisteredRoute } from '../../src/auth/principal.js';
import { effectiveAccess } from '../../src/auth/roles.js';
import { loadConfig } from '../../src/config/load-config.js';
import { createLogger } from '../../src/logger.js';
import { keyFromBytes } from '../../src/secrets/encryption-key.js';
import { SecretBox } from '../../src/secrets/secret-box.js';
import { createStoreDatabase } from '../../src/store/create-database.js';
import { type TestApp, createTestApp } from '../helpers/test-app.js';

// Walks every route the app registers (including routes added after this test was written):
// the checks run in the onRequest hook, before any body is parsed, so no route needs a valid
// request to be denied.

const readOnly = new Set(['GET', 'HEAD', 'OPTIONS']);
/** The only changes a viewer may make: to their own session, password and second factor. */
const viewerMutations = new Set([
  'POST /api/v1/auth/logout',
  'POST /api/v1/auth/password',
  'POST /api/v1/auth/totp/enrol',
  'POST /api/v1/auth/totp/confirm',
  'POST /api/v1/auth/totp/disable',
  'POST /api/v1/auth/totp/recovery-codes',
]);

function concreteUrl(route: RegisteredRoute): string {
  return route.url.replace(/:[A-Za-z0-9_]+(\([^)]*\))?/g, () => randomUUID()).replace(/\*/g, 'x');
}

function describeRoute(route: RegisteredRoute): string {
  return `${route.method} ${route.url}`;
}

describe('every registered route enforces its declared access', () => {
  let t: TestApp;
  let routes: RegisteredRoute[];

  beforeAll(async () => {
    t = await createTestApp();
    await t.app.ready();
    // CORS preflights answer before authentication by design and carry no credentials.
    routes = t.app.registeredRoutes.filter((route) => !(route.method === 'OPTIONS' && route.url === '*'));
  });
  afterAll(async () => {
    await t.close();
  });

  it('finds the routes, and lists the ones that forgot config.access (treated as admin-only)', () => {
    expect(routes.length).toBeGreaterThan(10);
    const undeclared = routes.filter((route) => route.declaredAccess === undefined).map(describeRoute);
    if (undeclared.length > 0) {
      console.warn(`routes without config.access (admin-only until their owners declare it):\n  ${undeclared.join('\n  ')}`);
    }
    for (const route of routes.filter((item) => item.declaredAccess === undefined)) expect(effectiveAccess(route.declaredAccess)).toBe('admin');
  });

  it('answers 401 without credentials on every non-public route', async () => {
    const failures: string[] = [];
    for (const route of routes) {
      if (route.declaredAccess === 'public') continue;
      const response = await t.request({ as: 'anonymous', method: route.method as 'GET', url: concreteUrl(route), payload: readOnly.has(route.method) ? undefined : {} });
      if (response.statusCode !== 401) failures.push(`${describeRoute(route)} → ${response.statusCode}`);
    }
    expect(failures).toEqual([]);
  });

  it('lets only its own session and password be changed by a viewer: every other mutating route → 403', async () => {
    const failures: string[] = [];
    for (const route of routes) {
      if (readOnly.has(route.method) || route.declaredAccess === 'public') continue;
      if (viewerMutations.has(describeRoute(route))) {
        expect(route.declaredAccess).toBe('viewer');
        continue;
      }
      const response = await t.request({ as: 'viewer', method: route.method as 'POST', url: concreteUrl(route), payload: {} });
      if (response.statusCode !== 403) failures.push(`${describeRoute(route)} → ${response.statusCode}`);
      else expect(response.json().error.code).toBe('PGF_FORBIDDEN');
    }
    expect(failures).toEqual([]);
  });

  it('answers 403 to an operator on every admin-only route, and to a viewer on every operator route', async () => {
    const failures: string[] = [];
    for (const route of routes) {
      const access = effectiveAccess(route.declaredAccess);
      const deniedTo = access === 'admin' ? (['operator', 'viewer'] as const) : access === 'operator' ? (['viewer'] as const) : [];
      for (const role of deniedTo) {
        const response = await t.request({ as: role, method: route.method as 'GET', url: concreteUrl(route), payload: readOnly.has(route.method) ? undefined : {} });
        if (response.statusCode !== 403) failures.push(`${role}: ${describeRoute(route)} → ${response.statusCode}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('keeps /health, /ready, /metrics, login and the OpenAPI document public', () => {
    const publicRoutes = new Set(routes.filter((route) => route.declaredAccess === 'public').map(describeRoute));
    for (const expected of ['GET /health', 'GET /ready', 'POST /api/v1/auth/login', 'GET /api/v1/openapi.json']) expect(publicRoutes).toContain(expected);
    if (routes.some((route) => route.url === '/metrics')) expect(publicRoutes).toContain('GET /metrics');
    // Nothing under /api/v1 other than the ways to log in and the OpenAPI document is public.
    const publicApi = [...publicRoutes].filter((route) => route.includes('/api/v1/') && !/^(GET|HEAD) \/api\/v1\/openapi\.json$/.test(route));
    const signIn = ['GET /api/v1/auth/oidc/callback', 'GET /api/v1/auth/oidc/login', 'GET /api/v1/auth/providers', 'HEAD /api/v1/auth/providers'];
    expect(publicApi.sort()).toEqual([...signIn, 'POST /api/v1/auth/login', 'POST /api/v1/auth/login/recovery-code', 'POST /api/v1/auth/login/totp'].sort());
  });

  it('answers 404, not 401, for unknown paths, so the UI fallback and clear errors keep working', async () => {
    const response = await t.request({ as: 'anonymous', method: 'GET', url: '/api/v1/no-such-thing' });
    expect(response.statusCode).toBe(404);
  });
});

describe('when the metadata store is down', () => {
  it('keeps /health answering with credentials attached, and answers 503 (not 500) on protected routes', async () => {
    const store = createStoreDatabase({ connectionString: 'postgres://postgres@127.0.0.1:1/nothing', connectTimeoutMs: 500, poolMax: 1 });
    const config = loadConfig({ env: { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/nothing' }, cwd: '/nonexistent' });
    const app = await buildApp({ config, store, logger: createLogger({ level: 'silent', pretty: false }), secrets: new SecretBox(keyFromBytes(randomBytes(32))) });
    try {
      const headers = { authorization: 'Bearer pgf_whatever', cookie: 'pgferry_session=abc' };
      expect((await app.inject({ method: 'GET', url: '/health', headers })).statusCode).toBe(200);
      const users = await app.inject({ method: 'GET', url: '/api/v1/users', headers });
      expect(users.statusCode).toBe(503);
      expect(users.json().error.code).toBe('PGF_STORE_UNREACHABLE');
    } finally {
      await app.close();
      await store.close();
    }
  });
});

describe('CORS preflight', () => {
  it('answers without credentials, before authentication', async () => {
    const t = await createTestApp({ PGFERRY_CORS_ORIGINS: 'https://ui.example.com' });
    try {
      const response = await t.request({
        as: 'anonymous',
        method: 'OPTIONS',
        url: '/api/v1/users',
        headers: { origin: 'https://ui.example.com', 'access-control-request-method': 'POST' },
      });
      expect(response.statusCode).toBe(204);
      expect(response.headers['access-control-allow-origin']).toBe('https://ui.example.com');
    } finally {
      await t.close();
    }
  });
});
