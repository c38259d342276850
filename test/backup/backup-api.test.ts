import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';

import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { extractTar } from '../../src/engine/archive/tar-stream.js';
import { runBackup } from '../../src/engine/backup/run-backup.js';
import { openStorage } from '../../src/engine/storage/open-storage.js';
import { recordBackup } from '../../src/store/backup-repository.js';
import { loadStorageTarget } from '../../src/store/storage-repository.js';
import { type TestApp, createTestApp } from '../helpers/test-app.js';
import { createTestDatabase } from '../helpers/test-database.js';
import { configOf } from './backup-fixtures.js';
import { startS3Server } from './s3-server.js';
import { archiveSigningKeyOf } from '../../src/secrets/archive-signing-key.js';

let t: TestApp;
let dir: string;
let source: { name: string; url: string };

beforeAll(async () => {
  t = await createTestApp();
  dir = await mkdtemp(path.join(os.tmpdir(), 'pgferry-api-'));
  source = await createTestDatabase({ migrated: false, prefix: 'pgferry_bkapi' });
  const client = new pg.Client({ connectionString: source.url });
  await client.connect();
  await client.query('CREATE TABLE items (id int PRIMARY KEY, name text); INSERT INTO items SELECT g, md5(g::text) FROM generate_series(1, 2000) g;');
  await client.end();
});

afterAll(async () => {
  await t.close();
  await rm(dir, { recursive: true, force: true });
});

async function tarEntries(body: Buffer): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  await extractTar(Readable.from([body]), async (file, _size, stream) => {
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    files.set(file, Buffer.concat(chunks));
  });
  return files;
}

describe('/api/v1/storages', () => {
  it('creates, reads, tests and guards storages without ever returning secrets', async () => {
    const created = await t.request({ method: 'POST', url: '/api/v1/storages', payload: { name: 'Local', kind: 'local', config: { path: dir }, encryption_secret: 'very-secret-passphrase' } });
    expect(created.statusCode).toBe(201);
    const storage = created.json();
    expect(storage).toMatchObject({ name: 'Local', kind: 'local', config: { path: dir }, has_encryption_secret: true, has_secret_access_key: false });
    expect(created.body).not.toContain('very-secret-passphrase');

    expect((await t.request({ method: 'POST', url: '/api/v1/storages', payload: { name: 'local', kind: 'local', config: { path: dir } } })).statusCode).toBe(409);
    const relative = await t.request({ method: 'POST', url: '/api/v1/storages', payload: { name: 'rel', kind: 'local', config: { path: 'backups' } } });
    expect(relative.statusCode).toBe(400);
    expect(relative.json().error.message).toMatch(/config.path: expected an absolute directory path/);
    expect((await t.request({ method: 'POST', url: '/api/v1/storages', as: 'viewer', payload: { name: 'x', kind: 'local', config: { path: dir } } })).statusCode).toBe(403);

    const list = await t.request({ method: 'GET', url: '/api/v1/storages', as: 'viewer' });
    expect(list.json()).toMatchObject({ total: 1, page: 1, items: [{ id: storage.id }] });
    const probe = await t.request({ method: 'POST', url: `/api/v1/storages/${storage.id}/test`, as: 'operator' });
    expect(probe.json()).toMatchObject({ ok: true, wrote: true });
    expect(probe.json().freeBytes).toBeGreaterThan(0);

    // Updating without the secret keeps it.
    const updated = await t.request({ method: 'PUT', url: `/api/v1/storages/${storage.id}`, payload: { name: 'Local', description: 'd', kind: 'local', config: { path: dir } } });
    expect(updated.json()).toMatchObject({ description: 'd', has_encryption_secret: true });
    const target = await loadStorageTarget(t.store.db, t.secrets, storage.id);
    expect(target.encryptionSecret).toBe('very-secret-passphrase');

    // A backup job using it blocks deletion.
    const connection = await t.store.db
      .insertInto('connections')
      .values({ name: 'c1', host: '127.0.0.1', database: 'x', username: 'postgres' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const job = await t.store.db.insertInto('backup_jobs').values({ name: 'nightly', connection_id: connection.id, selection: '{}', retention: '{}', verification: '{}' }).returning('id').executeTakeFirstOrThrow();
    await t.store.db.insertInto('backup_job_storages').values({ backup_job_id: job.id, storage_id: storage.id }).execute();
    const refused = await t.request({ method: 'DELETE', url: `/api/v1/storages/${storage.id}` });
    expect(refused.statusCode).toBe(409);
    expect(refused.json().error.message).toContain('backup job "nightly"');
    await t.store.db.deleteFrom('backup_jobs').where('id', '=', job.id).execute();
    expect(t.logs.join('\n')).not.toContain('very-secret-passphrase');
  });
});

describe('/api/v1/backups', () => {
  it('lists, verifies, downloads as tar and accepts the tar back as an upload', async () => {
    const target = await loadStorageTarget(t.store.db, t.secrets, 'Local');
    const storage = openStorage(target.spec);
    const result = await runBackup({ signingKey: archiveSigningKeyOf(t.secrets), source: configOf(source.url), storage, path: 'b1' });
    const recorded = await recordBackup(t.store.db, { storageId: target.id, archive: result.archives[0]!, compression: 'gzip' });

    const list = await t.request({ method: 'GET', url: `/api/v1/backups?storage_id=${target.id}`, as: 'viewer' });
    expect(list.json()).toMatchObject({ items: [{ id: recorded.id, state: 'complete', format: 'native', database_name: source.name }], next_cursor: null });
    const verify = await t.request({ method: 'POST', url: `/api/v1/backups/${recorded.id}/verify`, as: 'operator' });
    expect(verify.json().ok).toBe(true);
    expect((await t.request({ method: 'GET', url: `/api/v1/backups/${recorded.id}` })).json().state).toBe('verified');

    const download = await t.request({ method: 'GET', url: `/api/v1/backups/${recorded.id}/download`, as: 'operator' });
    expect(download.statusCode).toBe(200);
    expect(download.headers['content-type']).toBe('application/x-tar');
    const files = await tarEntries(download.rawPayload);
    expect([...files.keys()]).toContain('manifest.json');
    expect([...files.keys()]).toContain('schema/pre-data.sql');

    const upload = await t.request({
      method: 'POST',
      url: `/api/v1/backups/upload?storage_id=${target.id}&name=again`,
      headers: { 'content-type': 'application/x-tar' },
      payload: download.rawPayload,
    });
    expect(upload.statusCode).toBe(201);
    expect(upload.json()).toMatchObject({ location: 'uploads/again', state: 'verified', format: 'native' });

    // A damaged upload is refused naming the file, and leaves nothing behind.
    const damaged = Buffer.from(download.rawPayload);
    const offset = damaged.indexOf(Buffer.from('CREATE TABLE'));
    damaged[offset] = 'X'.charCodeAt(0);
    const bad = await t.request({ method: 'POST', url: `/api/v1/backups/upload?storage_id=${target.id}&name=bad`, headers: { 'content-type': 'application/x-tar' }, payload: damaged });
    expect(bad.statusCode).toBe(422);
    expect(bad.json().error).toMatchObject({ code: 'PGF_ARCHIVE_CORRUPT', message: expect.stringContaining('schema/pre-data.sql') });
    expect(await storage.exists('uploads/bad/manifest.json')).toBe(false);
    await storage.close();
  });

  it('answers 302 to a presigned URL on the public endpoint for S3 files', async () => {
    const s3 = await startS3Server();
    try {
      const created = await t.request({
        method: 'POST',
        url: '/api/v1/storages',
        payload: {
          name: 'bucket',
          kind: 's3',
          config: { bucket: 'pgferry-api', endpoint: s3.endpoint, force_path_style: true, region: 'us-east-1', access_key_id: 'S3RVER', public_endpoint: `http://localhost:${s3.port}` },
          secret_access_key: 'S3RVER',
        },
      });
      expect(created.statusCode).toBe(201);
      expect(created.json().has_secret_access_key).toBe(true);
      expect(created.body).not.toContain('"secret_access_key"');
      expect((await t.request({ method: 'POST', url: `/api/v1/storages/${created.json().id}/init` })).json()).toEqual({ created: true });
      const target = await loadStorageTarget(t.store.db, t.secrets, 'bucket');
      const storage = openStorage(target.spec);
      const result = await runBackup({ signingKey: archiveSigningKeyOf(t.secrets), source: configOf(source.url), storage, path: 's1', format: 'native' });
      const recorded = await recordBackup(t.store.db, { storageId: target.id, archive: result.archives[0]!, compression: 'gzip' });
      const redirect = await t.request({ method: 'GET', url: `/api/v1/backups/${recorded.id}/download?file=manifest.json` });
      expect(redirect.statusCode).toBe(302);
      expect(redirect.headers.location).toMatch(new RegExp(`^http://localhost:${s3.port}/pgferry-api/s1/manifest.json\\?`));
      const fetched = await fetch(String(redirect.headers.location));
      expect(JSON.parse(await fetched.text()).format).toBe('native');
      await storage.close();
    } finally {
      await s3.close();
    }
  });
});
