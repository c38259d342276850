import { generateSync } from 'otplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createUser } from '../../src/auth/user-admin.js';
import { type TestApp, createTestApp } from '../helpers/test-app.js';

// Two-factor sign-in through a listening server, the way a browser or script meets it:
// cookies, the 202 challenge, throttling shared with passwords, and the audit trail.

const password = 'totp-password-123';

interface Session {
  cookie: string;
  csrf: string;
}

interface Answer {
  status: number;
  headers: Headers;
  json: Record<string, unknown> & { error?: { code: string } };
}

describe('TOTP two-factor sign-in over HTTP', () => {
  let t: TestApp;
  let base: string;
  /** Every TOTP secret and recovery code the API showed, to look for in logs and audit rows. */
  const shown: string[] = [];

  const call = async (method: string, path: string, body?: unknown, session?: Session): Promise<Answer> => {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (session) Object.assign(headers, { cookie: session.cookie, 'x-csrf-token': session.csrf });
    const response = await fetch(`${base}${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(120_000),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, json: text ? (JSON.parse(text) as Answer['json']) : {} };
  };

  const sessionOf = (answer: Answer): Session => {
    const cookies = answer.headers.getSetCookie().map((line) => line.split(';')[0] ?? '');
    expect(cookies.some((item) => item.startsWith('pgferry_session='))).toBe(true);
    return { cookie: cookies.join('; '), csrf: String(answer.json.csrf_token) };
  };

  const login = (username: string, secret = password) => call('POST', '/api/v1/auth/login', { username, password: secret });

  /** A code for the current step, after forgetting the last used step (codes work once). */
  const freshCode = async (userId: string, secret: string) => {
    await t.store.db.updateTable('user_totp').set({ last_used_step: null }).where('id', '=', userId).execute();
    return generateSync({ secret });
  };

  const enrol = async (session: Session, userId: string) => {
    const started = await call('POST', '/api/v1/auth/totp/enrol', undefined, session);
    expect(started.status).toBe(200);
    const secret = String(started.json.secret);
    const confirmed = await call('POST', '/api/v1/auth/totp/confirm', { code: await freshCode(userId, secret) }, session);
    expect(confirmed.status).toBe(200);
    shown.push(secret, ...(confirmed.json.recovery_codes as string[]));
    return { started, secret, recoveryCodes: confirmed.json.recovery_codes as string[] };
  };

  beforeAll(async () => {
    t = await createTestApp({ PGFERRY_LOGIN_MAX_ATTEMPTS: '3', PGFERRY_LOGIN_WINDOW_SECONDS: '600', PGFERRY_REQUIRE_2FA_FOR_ADMINS: 'true' });
    await createUser(t.store, { username: 'tina', password, role: 'viewer' });
    await createUser(t.store, { username: 'ada', password, role: 'admin' });
    base = await t.app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await t.close();
  });

  it('enrols, then asks for the code at login; a wrong, replayed or used-up code is refused', async () => {
    const first = await login('tina');
    expect(first.status).toBe(200);
    const session = sessionOf(first);
    const userId = String((first.json.user as { id: string }).id);
    expect((await call('GET', '/api/v1/auth/totp', undefined, session)).json).toMatchObject({ enabled: false, pending: false, required: false });

    const started = await call('POST', '/api/v1/auth/totp/enrol', undefined, session);
    expect(started.status).toBe(200);
    const secret = String(started.json.secret);
    expect(started.json.otpauth_uri).toMatch(/^otpauth:\/\/totp\/pgferry:tina\?secret=/);
    expect(started.json.qr_data_url).toMatch(/^data:image\/png;base64,/);
    expect((await call('GET', '/api/v1/auth/totp', undefined, session)).json).toMatchObject({ enabled: false, pending: true });
    const wrongConfirm = await call('POST', '/api/v1/auth/totp/confirm', { code: 'abcdef' }, session);
    expect(wrongConfirm.status).toBe(400);
    expect(wrongConfirm.json.error?.code).toBe('PGF_TOTP_CODE_INVALID');
    const confirmed = await call('POST', '/api/v1/auth/totp/confirm', { code: generateSync({ secret }) }, session);
    expect(confirmed.status).toBe(200);
    const recoveryCodes = confirmed.json.recovery_codes as string[];
    expect(recoveryCodes).toHaveLength(10);
    shown.push(secret, ...recoveryCodes);
    expect((await call('GET', '/api/v1/auth/totp', undefined, session)).json).toMatchObject({ enabled: true, pending: false, recovery_codes_left: 10 });
    // Stored sealed and hashed: neither the secret nor a code is in the store as it was shown.
    const stored = await t.store.db.selectFrom('user_totp').select('secret_encrypted').where('id', '=', userId).executeTakeFirstOrThrow();
    expect(stored.secret_encrypted).not.toContain(secret);
    const hashes = await t.store.db.selectFrom('user_recovery_codes').select('code_hash').where('user_id', '=', userId).execute();
    expect(hashes.map((row) => row.code_hash)).not.toContain(recoveryCodes[0]);
    // A second enrolment while one is confirmed would silently replace the authenticator.
    expect((await call('POST', '/api/v1/auth/totp/enrol', undefined, session)).status).toBe(409);

    // The password alone opens no session: 202, a challenge and no cookie.
    const challenged = await login('tina');
    expect(challenged.status).toBe(202);
    expect(challenged.json.second_factor_required).toBe(true);
    expect(challenged.headers.getSetCookie()).toEqual([]);
    const challenge = String(challenged.json.challenge_token);
    const code = await freshCode(userId, secret);
    const wrong = String((Number(code) + 500_000) % 1_000_000).padStart(6, '0');
    const refused = await call('POST', '/api/v1/auth/login/totp', { challenge_token: challenge, code: wrong });
    expect(refused.status).toBe(401);
    expect(refused.json.error?.code).toBe('PGF_SECOND_FACTOR_FAILED');
    expect(refused.headers.getSetCookie()).toEqual([]);
    // The challenge survives a typo; the right code opens the session.
    const accepted = await call('POST', '/api/v1/auth/login/totp', { challenge_token: challenge, code });
    expect(accepted.status).toBe(200);
    const second = sessionOf(accepted);
    expect((await call('GET', '/api/v1/auth/me', undefined, second)).status).toBe(200);
    // The challenge is single use, and the same code cannot be replayed with a new one.
    expect((await call('POST', '/api/v1/auth/login/totp', { challenge_token: challenge, code })).json.error?.code).toBe('PGF_UNAUTHENTICATED');
    const again = String((await login('tina')).json.challenge_token);
    const replayed = await call('POST', '/api/v1/auth/login/totp', { challenge_token: again, code });
    expect(replayed.status).toBe(401);
    expect(replayed.json.error?.code).toBe('PGF_SECOND_FACTOR_FAILED');

    // A recovery code (typed in upper case, without dashes) works once.
    const recovery = recoveryCodes[0] ?? '';
    const byRecovery = await call('POST', '/api/v1/auth/login/recovery-code', { challenge_token: again, code: recovery.replaceAll('-', '').toUpperCase() });
    expect(byRecovery.status).toBe(200);
    sessionOf(byRecovery);
    const third = String((await login('tina')).json.challenge_token);
    const reused = await call('POST', '/api/v1/auth/login/recovery-code', { challenge_token: third, code: recovery });
    expect(reused.status).toBe(401);
    expect((await call('GET', '/api/v1/auth/totp', undefined, session)).json).toMatchObject({ recovery_codes_left: 9 });

    // New recovery codes replace the old ones.
    const regenerated = await call('POST', '/api/v1/auth/totp/recovery-codes', { code: await freshCode(userId, secret) }, session);
    expect(regenerated.status).toBe(200);
    const byOldCode = await call('POST', '/api/v1/auth/login/recovery-code', { challenge_token: third, code: recoveryCodes[1] });
    expect(byOldCode.status).toBe(401);
  });

  it('throttles wrong codes like wrong passwords (429 with Retry-After), even with the right password', async () => {
    await t.store.db.deleteFrom('login_throttle').execute();
    const challenge = String((await login('tina')).json.challenge_token);
    for (let i = 0; i < 3; i += 1) {
      expect((await call('POST', '/api/v1/auth/login/totp', { challenge_token: challenge, code: 'zzzzzz' })).status).toBe(401);
    }
    const locked = await call('POST', '/api/v1/auth/login/totp', { challenge_token: challenge, code: 'zzzzzz' });
    expect(locked.status).toBe(429);
    expect(locked.json.error?.code).toBe('PGF_RATE_LIMITED');
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
    // The password step is locked too: a right password does not reset the count of wrong codes.
    expect((await login('tina')).status).toBe(429);
    await t.store.db.deleteFrom('login_throttle').execute();
  });

  it('disables with the current password (not with a wrong one); then the password alone signs in', async () => {
    const challenge = String((await login('tina')).json.challenge_token);
    const recovery = await call('POST', '/api/v1/auth/totp/recovery-codes', { code: 'nope' }, undefined);
    expect(recovery.status).toBe(401);
    const user = await t.store.db.selectFrom('users').select('id').where('username', '=', 'tina').executeTakeFirstOrThrow();
    const row = await t.store.db.selectFrom('user_totp').select('secret_encrypted').where('id', '=', user.id).executeTakeFirstOrThrow();
    const secret = t.secrets.open(row.secret_encrypted, 'test');
    const session = sessionOf(await call('POST', '/api/v1/auth/login/totp', { challenge_token: challenge, code: await freshCode(user.id, secret) }));
    const wrong = await call('POST', '/api/v1/auth/totp/disable', { password: 'not-the-password' }, session);
    expect(wrong.status).toBe(400);
    expect((await call('POST', '/api/v1/auth/totp/disable', {}, session)).status).toBe(400);
    expect((await call('POST', '/api/v1/auth/totp/disable', { password }, session)).status).toBe(204);
    expect((await login('tina')).status).toBe(200);
    expect(await t.store.db.selectFrom('user_recovery_codes').select('id').where('user_id', '=', user.id).execute()).toEqual([]);
  });

  it('holds an admin without TOTP to the enrolment routes when PGFERRY_REQUIRE_2FA_FOR_ADMINS is on; tokens and other roles go on', async () => {
    const answer = await login('ada');
    expect(answer.status).toBe(200);
    const session = sessionOf(answer);
    const userId = String((answer.json.user as { id: string }).id);
    const held = await call('GET', '/api/v1/connections', undefined, session);
    expect(held.status).toBe(403);
    expect(held.json.error?.code).toBe('PGF_TOTP_ENROLMENT_REQUIRED');
    expect((await call('GET', '/api/v1/auth/me', undefined, session)).status).toBe(200);
    expect((await call('GET', '/api/v1/auth/totp', undefined, session)).json).toMatchObject({ enabled: false, required: true });
    // API tokens are not sessions: unaffected.
    const { token } = await t.credentialsFor('admin');
    const byToken = await fetch(`${base}/api/v1/connections`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(120_000) });
    expect(byToken.status).toBe(200);
    // A viewer without TOTP is not held back.
    const viewer = sessionOf(await login('tina'));
    expect((await call('GET', '/api/v1/connections', undefined, viewer)).status).toBe(200);

    await enrol(session, userId);
    expect((await call('GET', '/api/v1/connections', undefined, session)).status).toBe(200);
  });

  it("lets an admin reset a user's two-factor sign-in (lost phone), and no one else", async () => {
    const ada = await t.store.db.selectFrom('users').select('id').where('username', '=', 'ada').executeTakeFirstOrThrow();
    const asRole = async (role: 'admin' | 'operator', id: string) => {
      const { token } = await t.credentialsFor(role);
      return fetch(`${base}/api/v1/users/${id}/totp`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(120_000) });
    };
    expect((await asRole('operator', ada.id)).status).toBe(403);
    expect((await login('ada')).status).toBe(202);
    expect((await asRole('admin', ada.id)).status).toBe(204);
    expect((await asRole('admin', ada.id)).status).toBe(409);
    // PGFERRY_REQUIRE_2FA_FOR_ADMINS still holds: the password opens a session that must enrol again.
    const session = sessionOf(await login('ada'));
    expect((await call('GET', '/api/v1/connections', undefined, session)).json.error?.code).toBe('PGF_TOTP_ENROLMENT_REQUIRED');
  });

  it('audits every step with codes and secrets redacted, and never logs them', async () => {
    const rows = await t.store.db.selectFrom('audit_log').select(['action', 'status', 'actor_name', 'request_body']).where((eb) => eb.or([eb('action', 'like', 'auth.%'), eb('action', 'like', 'user.%')])).execute();
    const actions = new Set(rows.map((row) => row.action));
    for (const action of ['auth.totp_enrol_start', 'auth.totp_confirm', 'auth.login_totp', 'auth.login_recovery_code', 'auth.totp_recovery_regenerate', 'auth.totp_disable', 'user.totp_reset']) {
      expect(actions).toContain(action);
    }
    const failed = rows.find((row) => row.action === 'auth.login_totp' && row.status === 401);
    expect(failed?.actor_name).toBe('tina');
    for (const row of rows.filter((item) => item.action === 'auth.login_totp' || item.action === 'auth.totp_confirm')) {
      expect(row.request_body).toMatchObject({ code: '[redacted]' });
    }
    expect(shown.length).toBeGreaterThan(20);
    const logged = t.logs.join('\n');
    const audited = JSON.stringify(rows);
    for (const secret of shown) {
      expect(logged).not.toContain(secret);
      expect(audited).not.toContain(secret);
    }
  });
});
