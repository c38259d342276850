import { sql } from 'kysely';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { runAuthHousekeeping } from '../../src/audit/audit-retention.js';
import { AuditRepository } from '../../src/store/audit-repository.js';
import { type TestApp, type TestRole, createTestApp } from '../helpers/test-app.js';

// Every secret this file uses; none may appear in a log line, a response or an audit row.
const secrets = {
  adaPassword: 'ada-initial-password-Q7',
  adaNewPassword: 'ada-second-password-Z9',
  wrongPassword: 'wrong-guess-password-X1',
  nested: 'nested-secret-value-K3',
};

describe('audit log', () => {
  let t: TestApp;
  const responses: LightMyRequestResponse[] = [];
  /** request id → who made the change (`null` for anonymous). */
  const mutations = new Map<string, string | null>();
  const issuedTokens: string[] = [];

  async function mutate(as: TestRole, method: 'POST' | 'PATCH' | 'DELETE', url: string, payload?: unknown) {
    const response = await t.request({ as, method, url, ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }) });
    // The answer that creates a token is the one place the token may appear.
    if (!url.endsWith('/api/v1/tokens')) responses.push(response);
    mutations.set(String(response.headers['x-request-id']), as === 'anonymous' ? null : `pgferry-test-${as}`);
    return response;
  }

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('writes exactly one row per mutating request, allowed or refused, with the right actor', async () => {
    const created = await mutate('admin', 'POST', '/api/v1/users', {
      username: 'ada',
      password: secrets.adaPassword,
      role: 'operator',
      display_name: 'Ada',
      extra: { nested: { client_secret: secrets.nested } },
    });
    // Unknown fields are stripped by the schema or refused; either way nothing leaks.
    expect([201, 400]).toContain(created.statusCode);
    const user = created.statusCode === 201 ? created.json() : (await mutate('admin', 'POST', '/api/v1/users', { username: 'ada', password: secrets.adaPassword, role: 'operator' })).json();
    await mutate('admin', 'PATCH', `/api/v1/users/${user.id}`, { password: secrets.adaNewPassword });
    const token = await mutate('admin', 'POST', '/api/v1/tokens', { name: 'audit-ci', role: 'viewer', user_id: user.id });
    issuedTokens.push(token.json().token);
    await mutate('operator', 'POST', '/api/v1/users', { username: 'mallory', password: secrets.adaPassword, role: 'admin' });
    await mutate('viewer', 'DELETE', `/api/v1/tokens/${token.json().id}`);
    await mutate('anonymous', 'PATCH', `/api/v1/users/${user.id}`, { role: 'admin' });
    await mutate('admin', 'POST', '/api/v1/users', { username: "x'; DROP TABLE users; --", password: secrets.adaPassword, role: 'viewer' });
    await mutate('admin', 'DELETE', `/api/v1/tokens/${token.json().id}`);

    const rows = await t.store.db.selectFrom('audit_log').selectAll().where('request_id', 'in', [...mutations.keys()]).execute();
    expect(rows).toHaveLength(mutations.size);
    for (const [requestId, actor] of mutations) {
      const matching = rows.filter((row) => row.request_id === requestId);
      expect(matching, requestId).toHaveLength(1);
      expect(matching[0]?.actor_name ?? null).toBe(actor);
      expect(matching[0]?.actor_type).toBe(actor === null ? 'anonymous' : 'token');
    }
    const create = rows.find((row) => row.action === 'user.create' && row.status === 201);
    expect(create).toMatchObject({ resource_type: 'user', resource_id: user.id, actor_token_id: expect.any(String) });
    expect((create?.request_body as Record<string, unknown>).password).toBe('[redacted]');
    const refused = rows.filter((row) => row.status === 401 || row.status === 403).map((row) => row.status).sort();
    expect(refused).toEqual([401, 403, 403]);
    expect(rows.find((row) => row.action === 'api_token.revoke' && row.status === 200)?.resource_id).toBe(token.json().id);
  });

  it('does not audit reads', async () => {
    const before = await countRows();
    responses.push(await t.request({ method: 'GET', url: '/api/v1/users' }));
    responses.push(await t.request({ method: 'GET', url: '/api/v1/audit-log' }));
    expect(await countRows()).toBe(before);
  });

  it('filters by actor, action, resource and time range, and pages with a cursor', async () => {
    const byActor = await t.request({ method: 'GET', url: '/api/v1/audit-log?actor=pgferry-test-operator' });
    responses.push(byActor);
    expect(byActor.statusCode).toBe(200);
    expect(byActor.json().items.length).toBeGreaterThan(0);
    expect(byActor.json().items.every((item: { actor_name: string }) => item.actor_name === 'pgferry-test-operator')).toBe(true);

    const byAction = await t.request({ method: 'GET', url: '/api/v1/audit-log?action=user.*&resource_type=user' });
    responses.push(byAction);
    expect(byAction.json().items.every((item: { action: string }) => item.action.startsWith('user.'))).toBe(true);

    const future = await t.request({ method: 'GET', url: `/api/v1/audit-log?from=${encodeURIComponent(new Date(Date.now() + 3_600_000).toISOString())}` });
    expect(future.json().items).toEqual([]);
    const past = await t.request({ method: 'GET', url: `/api/v1/audit-log?to=${encodeURIComponent(new Date(Date.now() - 3_600_000).toISOString())}` });
    expect(past.json().items).toEqual([]);

    const all: string[] = [];
    let cursor: string | null = null;
    do {
      const page: LightMyRequestResponse = await t.request({ method: 'GET', url: `/api/v1/audit-log?limit=2${cursor ? `&cursor=${cursor}` : ''}` });
      responses.push(page);
      expect(page.json().items.length).toBeLessThanOrEqual(2);
      all.push(...page.json().items.map((item: { id: string }) => item.id));
      cursor = page.json().next_cursor;
    } while (cursor !== null);
    expect(all.length).toBe(await countRows());
    expect(new Set(all).size).toBe(all.length);
  });

  it('refuses injection attempts in every filter with 400 or an empty result, and changes nothing', async () => {
    const payloads = ["' OR '1'='1", "1; DROP TABLE pgferry.audit_log; --", "x' UNION SELECT password_hash FROM users --", '%', '\\', '$$', '1)) OR pg_sleep(5) IS NULL --', '\u0000'];
    const before = await countRows();
    const users = await t.store.db.selectFrom('users').select('id').execute();
    for (const parameter of ['actor', 'actor_id', 'actor_type', 'action', 'resource_type', 'resource_id', 'from', 'to', 'cursor', 'limit']) {
      for (const payload of payloads) {
        const response = await t.request({ method: 'GET', url: `/api/v1/audit-log?${parameter}=${encodeURIComponent(payload)}` });
        responses.push(response);
        expect([200, 400], `${parameter}=${payload}`).toContain(response.statusCode);
        if (response.statusCode === 200) expect(response.json().items, `${parameter}=${payload}`).toEqual([]);
        expect(response.body).not.toContain('$argon2');
      }
    }
    expect(await countRows()).toBe(before);
    expect(await t.store.db.selectFrom('users').select('id').execute()).toHaveLength(users.length);
  });

  it('is append-only: updates and deletes are refused unless the prune sets pgferry.audit_prune', async () => {
    await expect(sql`UPDATE audit_log SET status = 200`.execute(t.store.db)).rejects.toThrow(/append-only/);
    await expect(sql`DELETE FROM audit_log`.execute(t.store.db)).rejects.toThrow(/append-only/);
    const total = await countRows();
    // Age two rows past the retention through the prune setting, then let housekeeping remove them.
    await t.store.db.transaction().execute(async (tx) => {
      await sql`SET LOCAL pgferry.audit_prune = 'on'`.execute(tx);
      await sql`INSERT INTO audit_log (at, actor_type, action, status) VALUES (now() - interval '400 days', 'system', 'test.old', 200), (now() - interval '400 days', 'system', 'test.old', 200)`.execute(tx);
    });
    expect(await countRows()).toBe(total + 2);
    const result = await runAuthHousekeeping(t.store, t.config);
    expect(result.auditRowsDeleted).toBe(2);
    expect(await countRows()).toBe(total);
    expect(await new AuditRepository(t.store.db).prune(365)).toBe(0);
    // The setting was local to the prune's transaction.
    await expect(sql`DELETE FROM audit_log`.execute(t.store.db)).rejects.toThrow(/append-only/);
  });

  it('never shows a password or token in logs, responses or audit rows', async () => {
    const rows = await t.store.db.selectFrom('audit_log').selectAll().execute();
    const haystacks = { logs: t.logs.join('\n'), responses: responses.map((response) => response.body).join('\n'), audit: JSON.stringify(rows) };
    const allSecrets = [...Object.values(secrets), ...issuedTokens, (await t.credentialsFor('admin')).token];
    for (const [where, text] of Object.entries(haystacks)) {
      for (const secret of allSecrets) expect(text.includes(secret), `${where} contains a secret`).toBe(false);
    }
    // The token was shown exactly once: in its creation answer, which is not in `responses` above.
    expect(issuedTokens).toHaveLength(1);
  });

  async function countRows(): Promise<number> {
    const row = await t.store.db.selectFrom('audit_log').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    return Number(row.n);
  }
});

describe('the shared test app checks the audit trail of every mutation it made', () => {
  it('fails close() when a mutation has no audit row', async () => {
    const t = await createTestApp();
    const response = await t.request({ as: 'operator', method: 'POST', url: '/api/v1/users', payload: { username: 'x', password: 'y', role: 'viewer' } });
    expect(response.statusCode).toBe(403);
    // Remove the row through the prune path, as if the hook had not written it.
    await t.store.db.transaction().execute(async (tx) => {
      await sql`SET LOCAL pgferry.audit_prune = 'on'`.execute(tx);
      await tx.deleteFrom('audit_log').where('request_id', '=', String(response.headers['x-request-id'])).execute();
    });
    await expect(t.close()).rejects.toThrow(/POST \/api\/v1\/users as operator → 403: 0 audit rows/);
  });
});

describe('the shared test app checks that no secret a test sent is shown', () => {
  it('fails close() when a sent password appears in the logs', async () => {
    const t = await createTestApp();
    const created = await t.request({ method: 'POST', url: '/api/v1/users', payload: { username: 'leaky', password: 'sent-password-to-find-1', role: 'viewer' } });
    expect(created.statusCode).toBe(201);
    t.logs.push('{"msg":"oops sent-password-to-find-1"}');
    await expect(t.close()).rejects.toThrow(/logs contain a secret/);
  });
});

describe('read routes that opt in with auditRead', () => {
  it('are audited too (a backup download, say), and other reads are not', async () => {
    const t = await createTestApp();
    try {
      t.app.get('/api/v1/test-downloads/:id/download', { config: { access: 'viewer', auditResource: 'backup', auditRead: true } }, async () => 'bytes');
      const id = '00000000-0000-4000-8000-000000000001';
      const response = await t.request({ as: 'viewer', method: 'GET', url: `/api/v1/test-downloads/${id}/download` });
      expect(response.statusCode).toBe(200);
      await t.request({ as: 'viewer', method: 'GET', url: '/api/v1/auth/me' });
      const rows = await t.store.db.selectFrom('audit_log').selectAll().execute();
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ action: 'backup.download', resource_id: id, actor_name: 'pgferry-test-viewer', status: 200 });
    } finally {
      await t.close();
    }
  });
});
