import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createUser } from '../../src/auth/user-admin.js';
import { type TestApp, createTestApp } from '../helpers/test-app.js';

// Password change is throttled like login (issue 15, item 6): a stolen session or token cannot
// guess the password behind it. Through a listening server, with the default limits.
const password = 'the-right-password-1';
let t: TestApp;
let base: string;

/** Logs in and returns what a browser sends afterwards: the session cookie and the CSRF token. */
async function session(username: string): Promise<{ cookie: string; csrf: string }> {
  const response = await fetch(`${base}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
  expect(response.status).toBe(200);
  const cookie = response.headers.getSetCookie().map((line) => line.split(';')[0]).join('; ');
  return { cookie, csrf: ((await response.json()) as { csrf_token: string }).csrf_token };
}

const change = (who: { cookie: string; csrf: string }, current: string) =>
  fetch(`${base}/api/v1/auth/password`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie: who.cookie, 'x-csrf-token': who.csrf },
    body: JSON.stringify({ current_password: current, new_password: 'a-new-password-2' }),
  });

beforeAll(async () => {
  t = await createTestApp();
  base = await t.app.listen({ port: 0, host: '127.0.0.1' });
  await createUser(t.store, { username: 'dave', password, role: 'viewer' });
  await createUser(t.store, { username: 'erin', password, role: 'viewer' });
});
afterAll(async () => {
  await t.close();
});

describe('password change throttle', () => {
  it('answers 429 with Retry-After after repeated wrong current passwords, even to the right one; other users unaffected', async () => {
    const dave = await session('dave');
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 30; attempt += 1) statuses.push((await change(dave, `wrong-${attempt}`)).status);
    expect(statuses.slice(0, t.config.PGFERRY_LOGIN_MAX_ATTEMPTS)).toEqual(Array(t.config.PGFERRY_LOGIN_MAX_ATTEMPTS).fill(400));
    expect(statuses.at(-1)).toBe(429);
    const locked = await change(dave, password);
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await locked.json()) as { error: { code: string } }).error.code).toBe('PGF_RATE_LIMITED');
    // The password did not change: dave still logs in with it.
    await session('dave');

    const erin = await session('erin');
    expect((await change(erin, password)).status).toBe(204);
  });
});
