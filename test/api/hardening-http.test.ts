import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type TestApp, createTestApp } from '../helpers/test-app.js';

// Requests a hostile or careless client sends, through real HTTP against a listening server
// (issue 15, items 1, 2, 3 and 8): none freezes the server, none answers 500, none wipes a
// storage, and each mutation leaves its audit row.
let t: TestApp;
let base: string;
let admin: string;
let dir: string;
let storageId: string;

const call = (method: string, url: string, options: { body?: string | Buffer; type?: string; token?: string } = {}) =>
  fetch(`${base}${url}`, {
    method,
    headers: { authorization: `Bearer ${options.token ?? admin}`, ...(options.type ? { 'content-type': options.type } : {}) },
    body: options.body,
    // Only a guard against a hang (the bug this test catches); a busy machine is never near it.
    signal: AbortSignal.timeout(120_000),
  });

beforeAll(async () => {
  t = await createTestApp();
  base = await t.app.listen({ port: 0, host: '127.0.0.1' });
  admin = (await t.credentialsFor('admin')).token;
  dir = await mkdtemp(path.join(os.tmpdir(), 'pgferry-hardening-'));
  await writeFile(path.join(dir, 'keep-me.txt'), 'an unrelated file in the storage');
  const created = await call('POST', '/api/v1/storages', { type: 'application/json', body: JSON.stringify({ name: 'shelf', kind: 'local', config: { path: dir } }) });
  storageId = ((await created.json()) as { id: string }).id;
});

afterAll(async () => {
  await t.close();
  await rm(dir, { recursive: true, force: true });
});

describe('hardening over real HTTP', () => {
  it('a non-JSON body does not freeze the server', async () => {
    const response = await call('POST', '/api/v1/backups/00000000-0000-0000-0000-000000000000/verify', { type: 'application/octet-stream', body: Buffer.alloc(64 * 1024, 1) });
    expect(response.status).toBeLessThan(500);
    expect((await call('GET', '/api/v1/runs?limit=1')).status).toBe(200);
  });

  it('an upload named .. is refused and leaves the storage intact', async () => {
    for (const name of ['..', '.']) {
      const response = await call('POST', `/api/v1/backups/upload?storage_id=${storageId}&name=${name}`, { type: 'application/octet-stream', body: Buffer.from('not a dump') });
      expect(response.status).toBe(400);
    }
    const refused = await call('POST', `/api/v1/backups/upload?storage_id=${storageId}&name=attempt`, { type: 'application/octet-stream', body: Buffer.from('not a dump') });
    expect(refused.status).toBe(400);
    expect(await readdir(dir)).toContain('keep-me.txt');
  });

  it('answers 400, never 500, to crafted cursors, ids and deep bodies', async () => {
    const cursor = (text: string) => Buffer.from(text).toString('base64url');
    const urls = [
      '/api/v1/runs?cursor=garbage',
      `/api/v1/runs?cursor=${cursor('0|00000000-0000-0000-0000-000000000000')}`,
      `/api/v1/runs?cursor=${cursor('2024-01-01T00:00:00Z|not-a-uuid')}`,
      `/api/v1/backups?cursor=${cursor('2024-01-01T00:00:00.000Z|x')}`,
      '/api/v1/backups?cursor=%E2%80%AE',
      '/api/v1/runs/00000000-0000-0000-0000-000000000000/logs?after_id=9999999999999999999',
      '/api/v1/audit-log?cursor=9999999999999999999',
    ];
    for (const url of urls) expect({ url, status: (await call('GET', url)).status }).toEqual({ url, status: 400 });
    let deep: unknown = 'x\u0000';
    for (let level = 0; level < 60; level++) deep = { a: deep };
    const response = await call('POST', '/api/v1/storages', { type: 'application/json', body: JSON.stringify({ name: 'deep', kind: 'local', config: { path: dir }, description: deep }) });
    expect(response.status).toBe(400);
  });

  it('a lone surrogate in a JSON body is audited', async () => {
    const rows = async () => Number((await t.store.db.selectFrom('audit_log').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n);
    const before = await rows();
    const response = await call('POST', '/api/v1/storages', { type: 'application/json', body: '{"name":"lone \\ud800 surrogate","kind":"local","config":{"path":"/nonexistent/x"}}' });
    expect(response.status).toBeLessThan(500);
    expect(await rows()).toBe(before + 1);
  });
});
