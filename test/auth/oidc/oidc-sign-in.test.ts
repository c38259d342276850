import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { hashPassword } from '../../../src/auth/password-hash.js';
import { UserRepository } from '../../../src/store/user-repository.js';
import { BrowserSession, walkProvider } from './browser-session.js';
import { startPgferryWithProvider as startPgferry } from './oidc-provider-fixture.js';

const accounts = {
  alice: { preferred_username: 'alice', email: 'alice@example.com', groups: ['pg-admins', 'staff'] },
  bob: { preferred_username: 'bob', groups: ['staff'] },
  mallory: { preferred_username: 'mallory', groups: ['contractors'] },
  carol: { preferred_username: 'carol', groups: ['pg-ops'] },
};

/** The browser's whole SSO round trip; answers where the callback page sends it, and the browser. */
async function signIn(base: string, redirectUri: string, login: string, browser = new BrowserSession()) {
  const start = await browser.get(`${base}/api/v1/auth/oidc/login`);
  expect(start.status).toBe(302);
  const callbackUrl = await walkProvider(browser, start.headers.get('location') ?? '', redirectUri, login);
  const callback = await browser.get(callbackUrl);
  expect(callback.status).toBe(200);
  const target = /url=([^"]+)"/.exec(await callback.text())?.[1]?.replace(/&amp;/g, '&');
  return { target, browser, callbackUrl };
}

async function me(base: string, browser: BrowserSession) {
  const answer = await browser.get(`${base}/api/v1/auth/me`);
  return { status: answer.status, body: (await answer.json()) as { user: { username: string; role: string } } };
}

describe('OIDC sign-in against a real provider (auto-create on)', () => {
  let env: Awaited<ReturnType<typeof startPgferry>>;
  beforeAll(async () => {
    env = await startPgferry(accounts, { PGFERRY_OIDC_AUTO_CREATE: 'true', PGFERRY_OIDC_LABEL: 'Company SSO' });
  }, 120_000);
  afterAll(async () => {
    await env.t.close();
    await env.provider.close();
  });

  it('tells the login page that SSO is on, with its label', async () => {
    const answer = await fetch(`${env.base}/api/v1/auth/providers`);
    expect(await answer.json()).toEqual({ sso: { enabled: true, label: 'Company SSO', login_url: '/api/v1/auth/oidc/login' }, local_login: 'on' });
  });

  it('creates the user on first sign-in with the highest mapped role, reuses it on the second, and logs out', async () => {
    const first = await signIn(env.base, env.redirectUri, 'alice');
    expect(first.target).toBe('/');
    const who = await me(env.base, first.browser);
    expect(who.status).toBe(200);
    expect(who.body.user).toMatchObject({ username: 'alice', role: 'admin' });

    const second = await signIn(env.base, env.redirectUri, 'alice');
    expect((await me(env.base, second.browser)).body.user.role).toBe('admin');
    const users = await new UserRepository(env.t.store.db).list({ q: 'alice', page: 1, pageSize: 10 });
    expect(users.total).toBe(1);

    const host = new URL(env.base).host;
    const logout = await fetch(`${env.base}/api/v1/auth/logout`, {
      method: 'POST',
      headers: { cookie: `pgferry_session=${second.browser.cookie(host, 'pgferry_session')}; pgferry_csrf=${second.browser.cookie(host, 'pgferry_csrf')}`, 'x-csrf-token': second.browser.cookie(host, 'pgferry_csrf') ?? '' },
    });
    expect(logout.status).toBe(204);
    expect((await me(env.base, second.browser)).status).toBe(401);

    const carol = await signIn(env.base, env.redirectUri, 'carol');
    expect((await me(env.base, carol.browser)).body.user).toMatchObject({ username: 'carol', role: 'operator' });
  }, 120_000);

  it('refuses a user whose groups map to no role, and audits it', async () => {
    const result = await signIn(env.base, env.redirectUri, 'mallory');
    expect(result.target).toBe('/login?sso_error=PGF_OIDC_NO_ROLE');
    expect((await me(env.base, result.browser)).status).toBe(401);
    const rows = await env.t.store.db.selectFrom('audit_log').select(['action', 'status']).where('action', '=', 'auth.oidc_login').execute();
    expect(rows).toContainEqual({ action: 'auth.oidc_login', status: 403 });
    expect(rows).toContainEqual({ action: 'auth.oidc_login', status: 200 });
  }, 120_000);

  it('refuses a replayed callback (same code and state) and a state this browser did not start', async () => {
    const { callbackUrl, browser } = await signIn(env.base, env.redirectUri, 'bob');
    const host = new URL(env.base).host;
    // The same answer again, even with the state cookie put back: the state is single use.
    const state = new URL(callbackUrl).searchParams.get('state') ?? '';
    const replayed = await fetch(callbackUrl, { redirect: 'manual', headers: { cookie: `pgferry_oidc_state=${state}` } });
    expect(await replayed.text()).toContain('sso_error=PGF_OIDC_STATE_INVALID');
    expect(browser.cookie(host, 'pgferry_session')).toBeDefined();

    // A fresh sign-in's answer taken to another browser (no state cookie): login CSRF refused.
    const victim = new BrowserSession();
    const attacker = new BrowserSession();
    const start = await attacker.get(`${env.base}/api/v1/auth/oidc/login`);
    const stolen = await walkProvider(attacker, start.headers.get('location') ?? '', env.redirectUri, 'bob');
    const answer = await victim.get(stolen);
    expect(await answer.text()).toContain('sso_error=PGF_OIDC_STATE_INVALID');
    expect(victim.cookie(host, 'pgferry_session')).toBeUndefined();
  }, 120_000);

  it('refuses a code the provider did not issue for this sign-in', async () => {
    const browser = new BrowserSession();
    const start = await browser.get(`${env.base}/api/v1/auth/oidc/login`);
    const callbackUrl = new URL(await walkProvider(browser, start.headers.get('location') ?? '', env.redirectUri, 'bob'));
    callbackUrl.searchParams.set('code', 'forged-code');
    const answer = await browser.get(callbackUrl.href);
    expect(await answer.text()).toContain('sso_error=PGF_OIDC_TOKEN_REJECTED');
  }, 120_000);

  it('refuses a validly signed ID token for another audience, or one that expired', async () => {
    try {
      env.provider.tamperIdToken((claims) => ({ ...claims, aud: 'another-client' }));
      expect((await signIn(env.base, env.redirectUri, 'alice')).target).toBe('/login?sso_error=PGF_OIDC_TOKEN_REJECTED');
      expect(env.t.logs.join('\n')).toContain('(audience) claim value');
      // Far past openid-client's clock tolerance; no waiting involved.
      env.provider.tamperIdToken((claims) => ({ ...claims, iat: Math.floor(Date.now() / 1000) - 7200, exp: Math.floor(Date.now() / 1000) - 3600 }));
      const expired = await signIn(env.base, env.redirectUri, 'alice');
      expect(expired.target).toBe('/login?sso_error=PGF_OIDC_TOKEN_REJECTED');
      expect((await me(env.base, expired.browser)).status).toBe(401);
      expect(env.t.logs.join('\n')).toContain('(expiration time) claim');
    } finally {
      env.provider.tamperIdToken(undefined);
    }
  }, 120_000);

  it('never writes the client secret to the log', () => {
    expect(env.t.logs.join('\n')).not.toContain('pgferry-test-client-secret');
  });
});

describe('OIDC sign-in with auto-create off and password login off', () => {
  let env: Awaited<ReturnType<typeof startPgferry>>;
  beforeAll(async () => {
    env = await startPgferry(accounts, { PGFERRY_OIDC_AUTO_CREATE: 'false', PGFERRY_LOCAL_LOGIN: 'off', PGFERRY_BREAK_GLASS_USER: 'rescue' });
    const users = new UserRepository(env.t.store.db);
    const passwordHash = await hashPassword('correct horse battery');
    await users.create({ username: 'bob', passwordHash, role: 'viewer' });
    await users.create({ username: 'rescue', passwordHash, role: 'admin' });
  }, 120_000);
  afterAll(async () => {
    await env.t.close();
    await env.provider.close();
  });

  it('refuses an SSO user nobody created, and signs in one an admin created', async () => {
    expect((await signIn(env.base, env.redirectUri, 'carol')).target).toBe('/login?sso_error=PGF_OIDC_USER_UNKNOWN');
    const bob = await signIn(env.base, env.redirectUri, 'bob');
    expect((await me(env.base, bob.browser)).body.user).toMatchObject({ username: 'bob', role: 'viewer' });
  }, 120_000);

  it('answers 403 to a password login, except for the break-glass user', async () => {
    const login = (username: string) =>
      fetch(`${env.base}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password: 'correct horse battery' }) });
    const refused = await login('bob');
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('PGF_LOCAL_LOGIN_DISABLED');
    expect((await login('rescue')).status).toBe(200);
    const providers = await fetch(`${env.base}/api/v1/auth/providers`);
    expect(((await providers.json()) as { local_login: string }).local_login).toBe('off');
  }, 120_000);
});
