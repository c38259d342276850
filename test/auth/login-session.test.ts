import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createUser } from '../../src/auth/user-admin.js';
import { type TestApp, createTestApp } from '../helpers/test-app.js';

const password = 'correct-horse-battery-staple-41';

function cookiesOf(response: { headers: Record<string, unknown> }): Record<string, string> {
  const raw = response.headers['set-cookie'];
  const list = Array.isArray(raw) ? (raw as string[]) : typeof raw === 'string' ? [raw] : [];
  const out: Record<string, string> = {};
  for (const line of list) {
    const [pair] = line.split(';');
    const index = pair?.indexOf('=') ?? -1;
    if (pair && index > 0) out[pair.slice(0, index)] = pair.slice(index + 1);
  }
  return out;
}

describe('login sessions', () => {
  let t: TestApp;
  let userId: string;

  beforeAll(async () => {
    t = await createTestApp();
    userId = (await createUser(t.store, { username: 'alice', password, role: 'operator' })).id;
  });
  afterAll(async () => {
    await t.close();
  });

  async function loginAs(username = 'alice', secret = password, ip = '10.0.0.1') {
    const response = await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username, password: secret }, remoteAddress: ip });
    return { response, cookies: cookiesOf(response) };
  }

  it('sets an HttpOnly SameSite=Strict session cookie and a readable CSRF cookie', async () => {
    const { response, cookies } = await loginAs();
    expect(response.statusCode).toBe(200);
    const raw = ([] as string[]).concat(response.headers['set-cookie'] as string[]);
    const session = raw.find((line) => line.startsWith('pgferry_session='));
    expect(session).toMatch(/HttpOnly/i);
    expect(session).toMatch(/SameSite=Strict/i);
    expect(raw.find((line) => line.startsWith('pgferry_csrf='))).not.toMatch(/HttpOnly/i);
    expect(response.json().csrf_token).toBe(cookies.pgferry_csrf);
    expect(JSON.stringify(response.json())).not.toContain(password);
    const me = await t.app.inject({ method: 'GET', url: '/api/v1/auth/me', cookies: { pgferry_session: cookies.pgferry_session ?? '' } });
    expect(me.statusCode).toBe(200);
    expect(me.json()).toMatchObject({ user: { username: 'alice', role: 'operator' }, auth: { kind: 'session' } });
  });

  it('answers 401 for a wrong password or unknown user, with the same message', async () => {
    const wrong = await loginAs('alice', 'not-the-password-at-all', '10.0.0.2');
    const unknown = await loginAs('nobody', 'not-the-password-at-all', '10.0.0.2');
    expect(wrong.response.statusCode).toBe(401);
    expect(unknown.response.statusCode).toBe(401);
    expect(wrong.response.json().error.message).toBe(unknown.response.json().error.message);
    expect(wrong.response.headers['set-cookie']).toBeUndefined();
  });

  it('rejects a tampered session cookie and an expired session with 401', async () => {
    const { cookies } = await loginAs();
    const id = cookies.pgferry_session ?? '';
    const tampered = `${id.slice(0, -2)}${id.endsWith('AA') ? 'BB' : 'AA'}`;
    const me = await t.app.inject({ method: 'GET', url: '/api/v1/auth/me', cookies: { pgferry_session: tampered } });
    expect(me.statusCode).toBe(401);
    expect(me.json().error.code).toBe('PGF_UNAUTHENTICATED');

    await t.store.db.updateTable('sessions').set({ expires_at: new Date(Date.now() - 1000) }).where('user_id', '=', userId).execute();
    const expired = await t.app.inject({ method: 'GET', url: '/api/v1/auth/me', cookies: { pgferry_session: id } });
    expect(expired.statusCode).toBe(401);
  });

  it('needs the CSRF header for changes made with the cookie', async () => {
    const { cookies, response } = await loginAs();
    const csrf = response.json().csrf_token as string;
    const session = { pgferry_session: cookies.pgferry_session ?? '' };
    const withoutHeader = await t.app.inject({ method: 'POST', url: '/api/v1/auth/logout', cookies: session });
    expect(withoutHeader.statusCode).toBe(403);
    expect(withoutHeader.json().error.code).toBe('PGF_CSRF_FAILED');
    const wrongHeader = await t.app.inject({ method: 'POST', url: '/api/v1/auth/logout', cookies: session, headers: { 'x-csrf-token': 'x'.repeat(43) } });
    expect(wrongHeader.statusCode).toBe(403);
    const ok = await t.app.inject({ method: 'POST', url: '/api/v1/auth/logout', cookies: session, headers: { 'x-csrf-token': csrf } });
    expect(ok.statusCode).toBe(204);
    // Logout ends the session on the server, not just in the browser.
    const after = await t.app.inject({ method: 'GET', url: '/api/v1/auth/me', cookies: session });
    expect(after.statusCode).toBe(401);
  });

  it('rejects a disabled user on the next request, and lets them back in when enabled', async () => {
    const { cookies } = await loginAs();
    const session = { pgferry_session: cookies.pgferry_session ?? '' };
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/auth/me', cookies: session })).statusCode).toBe(200);
    const disabled = await t.request({ method: 'PATCH', url: `/api/v1/users/${userId}`, payload: { disabled: true } });
    expect(disabled.statusCode).toBe(200);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/auth/me', cookies: session })).statusCode).toBe(401);
    expect((await loginAs()).response.statusCode).toBe(401);
    await t.request({ method: 'PATCH', url: `/api/v1/users/${userId}`, payload: { disabled: false } });
    expect((await loginAs()).response.statusCode).toBe(200);
  });
});
