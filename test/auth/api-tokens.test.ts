import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createUser } from '../../src/auth/user-admin.js';
import { type TestApp, createTestApp } from '../helpers/test-app.js';

describe('API tokens', () => {
  let t: TestApp;
  let operatorId: string;

  beforeAll(async () => {
    t = await createTestApp();
    operatorId = (await createUser(t.store, { username: 'ci-owner', password: 'operator-password-77', role: 'operator' })).id;
  });
  afterAll(async () => {
    await t.close();
  });

  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  it('shows the token once, stores only its hash, records last use, and stops it when revoked', async () => {
    const created = await t.request({ method: 'POST', url: '/api/v1/tokens', payload: { name: 'ci', role: 'operator', user_id: operatorId } });
    expect(created.statusCode).toBe(201);
    const body = created.json();
    expect(body.token).toMatch(/^pgf_[A-Za-z0-9_-]{43}$/);
    expect(body.token.startsWith(body.token_prefix)).toBe(true);

    const stored = await t.store.db.selectFrom('api_tokens').selectAll().where('id', '=', body.id).executeTakeFirstOrThrow();
    expect(stored.token_hash).not.toContain(body.token);
    expect(JSON.stringify(stored)).not.toContain(body.token);
    expect(stored.last_used_at).toBeNull();

    const listed = await t.request({ method: 'GET', url: `/api/v1/tokens?user_id=${operatorId}` });
    expect(listed.statusCode).toBe(200);
    expect(listed.body).not.toContain(body.token);
    expect(listed.json().items.map((item: { name: string }) => item.name)).toEqual(['ci']);

    const me = await t.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: bearer(body.token) });
    expect(me.statusCode).toBe(200);
    expect(me.json()).toMatchObject({ user: { username: 'ci-owner' }, role: 'operator', auth: { kind: 'token', token_name: 'ci' } });
    const used = await t.store.db.selectFrom('api_tokens').select('last_used_at').where('id', '=', body.id).executeTakeFirstOrThrow();
    expect(used.last_used_at).toBeInstanceOf(Date);

    const revoked = await t.request({ method: 'DELETE', url: `/api/v1/tokens/${body.id}` });
    expect(revoked.statusCode).toBe(200);
    expect(revoked.json().revoked_at).not.toBeNull();
    const after = await t.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: bearer(body.token) });
    expect(after.statusCode).toBe(401);
  });

  it('never grants more than the user has: no admin token for an operator, and demotion limits old tokens', async () => {
    const tooMuch = await t.request({ method: 'POST', url: '/api/v1/tokens', payload: { name: 'root', role: 'admin', user_id: operatorId } });
    expect(tooMuch.statusCode).toBe(400);

    const created = (await t.request({ method: 'POST', url: '/api/v1/tokens', payload: { name: 'deploy', role: 'operator', user_id: operatorId } })).json();
    await t.request({ method: 'PATCH', url: `/api/v1/users/${operatorId}`, payload: { role: 'viewer' } });
    const me = await t.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: bearer(created.token) });
    expect(me.json().role).toBe('viewer');
    await t.request({ method: 'PATCH', url: `/api/v1/users/${operatorId}`, payload: { role: 'operator' } });
  });

  it('rejects expired tokens, tokens of disabled users, malformed headers and unknown tokens with 401', async () => {
    const created = (await t.request({ method: 'POST', url: '/api/v1/tokens', payload: { name: 'short', role: 'viewer', user_id: operatorId, expires_in_days: 1 } })).json();
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: bearer(created.token) })).statusCode).toBe(200);
    await t.store.db.updateTable('api_tokens').set({ expires_at: new Date(Date.now() - 1000) }).where('id', '=', created.id).execute();
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: bearer(created.token) })).statusCode).toBe(401);

    const other = (await t.request({ method: 'POST', url: '/api/v1/tokens', payload: { name: 'other', role: 'viewer', user_id: operatorId } })).json();
    await t.request({ method: 'PATCH', url: `/api/v1/users/${operatorId}`, payload: { disabled: true } });
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: bearer(other.token) })).statusCode).toBe(401);
    await t.request({ method: 'PATCH', url: `/api/v1/users/${operatorId}`, payload: { disabled: false } });
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: bearer(other.token) })).statusCode).toBe(200);

    for (const header of ['Bearer', 'Basic abc', `Bearer ${other.token}x`, "Bearer ' OR 1=1 --", 'Bearer pgf_']) {
      const response = await t.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { authorization: header } });
      expect(response.statusCode, header).toBe(401);
    }
  });

  it('keeps the last enabled admin: cannot disable, demote or delete it', async () => {
    const admins = await t.store.db.selectFrom('users').select('id').where('role', '=', 'admin').execute();
    // The test app's own admin is the only one.
    expect(admins).toHaveLength(1);
    const id = admins[0]?.id ?? '';
    expect((await t.request({ method: 'PATCH', url: `/api/v1/users/${id}`, payload: { disabled: true } })).statusCode).toBe(409);
    expect((await t.request({ method: 'PATCH', url: `/api/v1/users/${id}`, payload: { role: 'viewer' } })).statusCode).toBe(409);
    expect((await t.request({ method: 'DELETE', url: `/api/v1/users/${id}` })).statusCode).toBe(409);
  });
});
