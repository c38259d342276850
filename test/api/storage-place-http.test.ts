import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type TestApp, createTestApp } from '../helpers/test-app.js';

// A storage is tested when it is saved (issue 16): a local directory that does not exist is
// refused with a code the form answers with "Create it", a path that cannot be used is refused
// naming it, and nothing is saved either way. Through real HTTP against a listening server.
let t: TestApp;
let base: string;
let admin: string;
let dir: string;

const call = async (method: string, url: string, body?: unknown) => {
  const response = await fetch(`${base}${url}`, {
    method,
    headers: { authorization: `Bearer ${admin}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
    // Only a hang guard: recursive mkdir under /proc never returns.
    signal: AbortSignal.timeout(120_000),
  });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers of several shapes, checked field by field
  return { status: response.status, body: (await response.json()) as Record<string, any> };
};
const storageNames = async () => ((await call('GET', '/api/v1/storages')).body.items as { name: string }[]).map((item) => item.name);
const exists = (place: string) => stat(place).then(() => true, () => false);

beforeAll(async () => {
  t = await createTestApp();
  base = await t.app.listen({ port: 0, host: '127.0.0.1' });
  admin = (await t.credentialsFor('admin')).token;
  dir = await mkdtemp(path.join(os.tmpdir(), 'pgferry-storage-place-'));
});

afterAll(async () => {
  await t.close();
  await rm(dir, { recursive: true, force: true });
});

describe('saving a local storage checks its directory', () => {
  it('refuses a directory that does not exist, names the field, and creates nothing', async () => {
    const place = path.join(dir, 'missing', 'backups');
    const answer = await call('POST', '/api/v1/storages', { name: 'missing', kind: 'local', config: { path: place } });
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('PGF_STORAGE_PATH_MISSING');
    expect(answer.body.error.message).toContain(place);
    expect(answer.body.error.details.fields).toEqual([{ field: 'config.path', code: 'path_missing', message: 'does not exist' }]);
    expect(await exists(path.join(dir, 'missing'))).toBe(false);
    expect(await storageNames()).not.toContain('missing');
  });

  it('gives each field problem a code and the numbers the UI needs to say it', async () => {
    const answer = await call('POST', '/api/v1/storages', { name: 'x'.repeat(101), kind: 'local', config: { path: 'relative' } });
    expect(answer.status).toBe(400);
    expect(answer.body.error.details.fields).toContainEqual(expect.objectContaining({ field: 'body.name', code: 'too_big', params: { origin: 'string', maximum: 100 } }));
    const relative = await call('POST', '/api/v1/storages', { name: 'relative', kind: 'local', config: { path: 'relative' } });
    expect(relative.body.error.details.fields).toEqual([expect.objectContaining({ field: 'config.path', code: 'absolute_path' })]);
  });

  it('creates it on request, each new level 0700', async () => {
    const place = path.join(dir, 'made', 'backups');
    const answer = await call('POST', '/api/v1/storages', { name: 'made', kind: 'local', config: { path: place }, create: true });
    expect(answer.status).toBe(201);
    for (const level of [path.join(dir, 'made'), place]) expect((await stat(level)).mode & 0o777).toBe(0o700);
    expect((await call('POST', `/api/v1/storages/${answer.body.id}/test`)).body).toMatchObject({ ok: true, wrote: true });
  });

  it('refuses a path it cannot create (under /proc) or that is a file, without hanging', async () => {
    const file = path.join(dir, 'a-file');
    await writeFile(file, 'not a directory');
    for (const place of ['/proc/nope/backups', file, path.join(file, 'below')]) {
      const answer = await call('POST', '/api/v1/storages', { name: 'unusable', kind: 'local', config: { path: place }, create: true });
      expect(answer.status, place).toBe(400);
      expect(answer.body.error.code, place).toBe('PGF_STORAGE_PATH_UNUSABLE');
      expect(answer.body.error.details.fields[0], place).toMatchObject({ field: 'config.path', code: 'path_unusable' });
    }
    expect(await storageNames()).not.toContain('unusable');
  });

  it('checks an edit too, and keeps the stored path when refused', async () => {
    const place = path.join(dir, 'kept');
    const created = await call('POST', '/api/v1/storages', { name: 'kept', kind: 'local', config: { path: place }, create: true });
    const moved = await call('PUT', `/api/v1/storages/${created.body.id}`, { name: 'kept', kind: 'local', config: { path: path.join(dir, 'elsewhere') } });
    expect(moved.body.error.code).toBe('PGF_STORAGE_PATH_MISSING');
    expect((await call('GET', `/api/v1/storages/${created.body.id}`)).body.config).toEqual({ path: place });
  });

  it('a directory that went away tests as missing, and init makes it again', async () => {
    const place = path.join(dir, 'gone');
    const created = await call('POST', '/api/v1/storages', { name: 'gone', kind: 'local', config: { path: place }, create: true });
    await rm(place, { recursive: true });
    expect((await call('POST', `/api/v1/storages/${created.body.id}/test`)).body).toMatchObject({ ok: false, missing: true });
    expect((await call('POST', `/api/v1/storages/${created.body.id}/init`)).body).toEqual({ created: true });
    expect((await call('POST', `/api/v1/storages/${created.body.id}/test`)).body).toMatchObject({ ok: true, wrote: true });
  });
});
