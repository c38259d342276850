import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type TestApp, createTestApp } from '../helpers/test-app.js';

// A change is never made without its audit row (issue 15, item 3): the row is written before
// the handler runs, and when it cannot be, the request is refused and nothing changes.
let t: TestApp;
let base: string;
let dir: string;
let admin: string;

const createStorage = (name: string) =>
  fetch(`${base}/api/v1/storages`, {
    method: 'POST',
    headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name, kind: 'local', config: { path: path.join(dir, name) }, create: true }),
  });

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'pgferry-audit-closed-'));
  t = await createTestApp();
  base = await t.app.listen({ port: 0, host: '127.0.0.1' });
  admin = (await t.credentialsFor('admin')).token;
});
afterAll(async () => {
  await sql`DROP TRIGGER IF EXISTS refuse_audit ON audit_log; DROP FUNCTION IF EXISTS refuse_audit()`.execute(t.store.db);
  await t.close();
  await rm(dir, { recursive: true, force: true });
});

describe('audit fails closed', () => {
  it('a mutation whose audit row cannot be written is refused with 503 and changes nothing', async () => {
    await sql`CREATE FUNCTION refuse_audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'audit store unavailable'; END $$;
      CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION refuse_audit()`.execute(t.store.db);
    const refused = await createStorage('unaudited');
    expect(refused.status).toBe(503);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('PGF_AUDIT_UNAVAILABLE');
    expect(await t.store.db.selectFrom('storages').select('id').where('name', '=', 'unaudited').execute()).toEqual([]);
    await sql`DROP TRIGGER refuse_audit ON audit_log`.execute(t.store.db);

    const created = await createStorage('audited');
    expect(created.status).toBe(201);
    const id = ((await created.json()) as { id: string }).id;
    // One row, completed with the answer and the new resource's id.
    const rows = await t.store.db.selectFrom('audit_log').select(['status', 'resource_id', 'action']).where('request_id', '=', created.headers.get('x-request-id')).execute();
    expect(rows).toEqual([{ status: 201, resource_id: id, action: 'storage.create' }]);
  });

  it('keeps the log append-only: a completed row cannot be changed', async () => {
    const row = await t.store.db.selectFrom('audit_log').select('id').where('status', 'is not', null).orderBy('id', 'desc').executeTakeFirstOrThrow();
    await expect(sql`UPDATE audit_log SET status = 200 WHERE id = ${row.id}`.execute(t.store.db)).rejects.toThrow(/append-only/);
    await expect(sql`UPDATE audit_log SET action = 'x' WHERE id = ${row.id}`.execute(t.store.db)).rejects.toThrow(/append-only/);
  });
});
