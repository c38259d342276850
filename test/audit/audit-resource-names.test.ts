import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type TestApp, createTestApp } from '../helpers/test-app.js';

// The audit list names the resources it points at (issue 16, part 3, item 7): the UI shows
// "lr-conn", not a UUID; the id stays available. Through a listening server.
let t: TestApp;
let base: string;
let admin: string;

interface Entry {
  action: string;
  resource_type: string | null;
  resource_id: string | null;
  resource_name: string | null;
}

const call = async (method: string, url: string, body?: unknown) => {
  const response = await fetch(`${base}${url}`, {
    method,
    headers: { authorization: `Bearer ${admin}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, json: text ? JSON.parse(text) : null };
};

beforeAll(async () => {
  t = await createTestApp();
  base = await t.app.listen({ port: 0, host: '127.0.0.1' });
  admin = (await t.credentialsFor('admin')).token;
});

afterAll(async () => {
  await t?.close();
});

describe('audit log: resource names', () => {
  it('answers the current name next to the id, and null once the resource is deleted', async () => {
    const created = await call('POST', '/api/v1/connections', { name: 'audit-named', host: '127.0.0.1', port: 5432, database: 'd', user: 'u' });
    expect(created.status).toBe(201);
    const id = created.json.id as string;
    const renamed = await call('PUT', `/api/v1/connections/${id}`, { name: 'audit-renamed', host: '127.0.0.1', port: 5432, database: 'd', user: 'u' });
    expect(renamed.status).toBe(200);

    const log = await call('GET', '/api/v1/audit-log?resource_type=connection');
    expect(log.status).toBe(200);
    const entries = (log.json.items as Entry[]).filter((entry) => entry.resource_id === id);
    expect(entries.map((entry) => entry.action).sort()).toEqual(['connection.create', 'connection.update']);
    // The name as it is now, on every entry about the resource.
    for (const entry of entries) expect(entry.resource_name).toBe('audit-renamed');

    expect((await call('DELETE', `/api/v1/connections/${id}`)).status).toBe(204);
    const after = await call('GET', `/api/v1/audit-log?resource_type=connection&resource_id=${id}`);
    const items = after.json.items as Entry[];
    expect(items.length).toBe(3);
    for (const entry of items) expect(entry).toMatchObject({ resource_id: id, resource_name: null });
  });

  it('records a failed connection or storage test as the failure it was, though the answer is 200', async () => {
    const refused = { host: '127.0.0.1', port: 1, database: 'd', user: 'u' };
    const saved = await call('POST', '/api/v1/connections', { name: 'audit-unreachable', ...refused });
    const good = await call('POST', '/api/v1/connections', { name: 'audit-reachable', host: '127.0.0.1', port: 5432, database: 'postgres', user: 'postgres' });
    for (const [url, ok] of [
      ['/api/v1/connections/test', false],
      [`/api/v1/connections/${saved.json.id}/test`, false],
      [`/api/v1/connections/${good.json.id}/test`, true],
    ] as const) {
      const answer = await call('POST', url, url.endsWith('/connections/test') ? refused : {});
      expect(answer.status).toBe(200);
      expect(answer.json.ok).toBe(ok);
    }
    const log = (await call('GET', '/api/v1/audit-log?action=connection.test')).json.items as (Entry & { status: number })[];
    const statusOf = (id: string | null) => log.filter((entry) => entry.resource_id === id).map((entry) => entry.status);
    // PGF_CONNECTION_REFUSED maps to 502; a passing test stays 200.
    expect(statusOf(null)).toEqual([502]);
    expect(statusOf(saved.json.id)).toEqual([502]);
    expect(statusOf(good.json.id)).toEqual([200]);
  });
});
