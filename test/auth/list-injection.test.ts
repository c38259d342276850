import { randomUUID } from 'node:crypto';

import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { RegisteredRoute } from '../../src/auth/principal.js';
import { createUser } from '../../src/auth/user-admin.js';
import { type TestApp, createTestApp } from '../helpers/test-app.js';

// Every query parameter of every GET route (list endpoints and filters of all features, also
// those added later) gets SQL-injection strings: the answer is 400 or a result, never a 500,
// never a leak, and no table changes.

const payloads = [
  "' OR '1'='1",
  "1; DROP TABLE pgferry.users; --",
  "x') UNION SELECT password_hash, null FROM pgferry.users --",
  '1 OR 1=1',
  '%',
  '_',
  '\\',
  '$$; SELECT 1; $$',
  "'; SELECT pg_sleep(30); --",
  '"; DELETE FROM pgferry.users; --',
  '\u0000',
  '-1',
  '99999999999999999999999',
];
/** Streams that stay open (live progress) are not list endpoints. */
const streaming = /\/(events|stream|sse|logs\/follow)$/;

function queryKeys(route: RegisteredRoute): string[] {
  const schema = route.querystring as { shape?: Record<string, unknown> } | undefined;
  return schema?.shape ? Object.keys(schema.shape) : [];
}

async function tableCounts(t: TestApp): Promise<Record<string, number>> {
  const result = await sql<{ table_name: string }>`
    SELECT table_name FROM information_schema.tables WHERE table_schema = 'pgferry' AND table_type = 'BASE TABLE'
      AND table_name NOT IN ('audit_log', 'sessions', 'login_throttle') ORDER BY table_name`.execute(t.store.db);
  const counts: Record<string, number> = {};
  for (const { table_name: table } of result.rows) {
    const row = await sql<{ n: string }>`SELECT count(*) AS n FROM ${sql.table(`pgferry.${table}`)}`.execute(t.store.db);
    counts[table] = Number(row.rows[0]?.n ?? -1);
  }
  return counts;
}

describe('SQL injection in query parameters of every GET route', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
    await t.app.ready();
    await createUser(t.store, { username: 'canary', password: 'canary-password-55', role: 'viewer' });
    await t.credentialsFor('admin');
  });
  afterAll(async () => {
    await t.close();
  });

  it('answers 400 or a result, never 500, and changes nothing', async () => {
    const routes = t.app.registeredRoutes.filter((route) => route.method === 'GET' && queryKeys(route).length > 0 && !streaming.test(route.url));
    expect(routes.map((route) => route.url)).toEqual(expect.arrayContaining(['/api/v1/users', '/api/v1/tokens', '/api/v1/audit-log']));
    const before = await tableCounts(t);
    const failures: string[] = [];
    let requests = 0;
    for (const route of routes) {
      const url = route.url.replace(/:[A-Za-z0-9_]+/g, () => randomUUID());
      for (const key of queryKeys(route)) {
        for (const payload of payloads) {
          const response = await t.request({ method: 'GET', url: `${url}?${encodeURIComponent(key)}=${encodeURIComponent(payload)}` });
          requests += 1;
          if (response.statusCode >= 500) failures.push(`${route.url}?${key}=${JSON.stringify(payload)} → ${response.statusCode} ${response.body.slice(0, 200)}`);
          // A hash value, not the word: an error message may quote the rejected input.
          if (response.body.includes('$argon2')) failures.push(`${route.url}?${key}=${JSON.stringify(payload)} leaked hashes`);
        }
      }
    }
    expect(failures).toEqual([]);
    expect(requests).toBeGreaterThan(50);
    // Text filters treat the input as data: `' OR '1'='1` or `%` match no user, they do not match all.
    for (const payload of payloads) {
      const response = await t.request({ method: 'GET', url: `/api/v1/users?q=${encodeURIComponent(payload)}` });
      expect([200, 400]).toContain(response.statusCode);
      if (response.statusCode === 200) expect(response.json().items, payload).toEqual([]);
    }
    expect(await tableCounts(t)).toEqual(before);
  });
});
