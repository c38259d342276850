import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { runBackup } from '../../src/engine/backup/run-backup.js';
import { runRestore } from '../../src/engine/restore/run-restore.js';
import { LocalStorage } from '../../src/engine/storage/local-storage.js';
import { restoreExecutor } from '../../src/jobs/executors/restore-executor.js';
import { JobWorker } from '../../src/jobs/job-worker.js';
import { archiveSigningKeyOf } from '../../src/secrets/archive-signing-key.js';
import { recordBackup } from '../../src/store/backup-repository.js';
import { getRun } from '../../src/store/run-repository.js';
import { testSigningKey, testTrust } from '../helpers/archive-trust.js';
import { trackResource } from '../helpers/leak-check.js';
import { type TestApp, createTestApp } from '../helpers/test-app.js';
import { createTestDatabase, serverUrl } from '../helpers/test-database.js';
import { quietLogger, waitFor } from '../jobs/job-fixtures.js';
import { configOf, scratchName } from './backup-fixtures.js';

// A crafted archive cannot run SQL on restore (issue 15, item 11): archives are signed; an
// altered or unsigned one is refused unless trusted, and even a trusted one cannot leave the
// pre-data transaction or touch roles.
let dir: string;
let source: { name: string; url: string };
const role = `pgferry_sig_${process.pid}`;

async function query<T extends pg.QueryResultRow>(url: string, text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text)).rows;
  } finally {
    await client.end();
  }
}

/** Appends SQL to pre-data.sql and fixes its size and sha256 in the manifest (not the signature). */
async function tamperPreData(archiveDir: string, sql: string): Promise<void> {
  const file = path.join(archiveDir, 'schema/pre-data.sql');
  const text = `${await readFile(file, 'utf8')}\n${sql}\n`;
  await writeFile(file, text);
  const manifestFile = path.join(archiveDir, 'manifest.json');
  const manifest = JSON.parse(await readFile(manifestFile, 'utf8')) as { files: { path: string; size: number; sha256: string }[] };
  const entry = manifest.files.find((candidate) => candidate.path === 'schema/pre-data.sql')!;
  entry.size = Buffer.byteLength(text);
  entry.sha256 = createHash('sha256').update(text).digest('hex');
  await writeFile(manifestFile, JSON.stringify(manifest, null, 2));
}

const tablesOf = async (url: string) => (await query<{ n: number }>(url, "SELECT count(*)::int AS n FROM pg_class WHERE relnamespace = 'public'::regnamespace")).map((row) => row.n)[0];
const roleIsSuper = async () => (await query<{ rolsuper: boolean }>(serverUrl(), `SELECT rolsuper FROM pg_roles WHERE rolname = '${role}'`))[0]?.rolsuper;
const attack = `COMMIT;\nALTER ROLE ${role} SUPERUSER;\nBEGIN;`;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'pgferry-signature-'));
  source = await createTestDatabase({ migrated: false, prefix: 'pgferry_sig_src' });
  await query(source.url, `CREATE TABLE items (id int PRIMARY KEY, name text); INSERT INTO items SELECT g, md5(g::text) FROM generate_series(1, 200) g;`);
  await query(serverUrl(), `DROP ROLE IF EXISTS ${role}; CREATE ROLE ${role} NOSUPERUSER`);
});
afterAll(async () => {
  await query(serverUrl(), `DROP ROLE IF EXISTS ${role}`);
  await rm(dir, { recursive: true, force: true });
});

describe('signed archives (engine)', () => {
  it('restores a signed archive; refuses it once altered, and refuses the injected statements even when trusted', async () => {
    const storage = new LocalStorage(dir);
    await runBackup({ signingKey: testSigningKey, source: configOf(source.url), storage, path: 'a1' });
    const good = scratchName();
    await runRestore({ archive: { storage, path: 'a1' }, target: { ...configOf(source.url), database: good.name }, create: true, trust: testTrust });
    expect((await query<{ n: number }>(good.url, 'SELECT count(*)::int AS n FROM items'))[0]?.n).toBe(200);

    await tamperPreData(path.join(dir, 'a1'), attack);
    const target = scratchName();
    await query(serverUrl(), `CREATE DATABASE ${target.name}`);
    const restore = (trustUnsigned: boolean, verify?: boolean) =>
      runRestore({ archive: { storage, path: 'a1' }, target: { ...configOf(source.url), database: target.name }, verify, trust: { ...testTrust, trustUnsigned } });
    await expect(restore(false)).rejects.toMatchObject({ code: 'PGF_ARCHIVE_SIGNATURE_INVALID' });
    // Without the full re-read too: the signature is checked on every path.
    await expect(restore(false, false)).rejects.toMatchObject({ code: 'PGF_ARCHIVE_SIGNATURE_INVALID' });
    await expect(restore(true)).rejects.toMatchObject({ code: 'PGF_ARCHIVE_STATEMENT_REFUSED', message: expect.stringContaining('COMMIT') });
    expect(await tablesOf(target.url)).toBe(0);
    expect(await roleIsSuper()).toBe(false);
  });

  it('refuses an unsigned archive unless trusted, and a key it does not hold', async () => {
    const storage = new LocalStorage(dir);
    await runBackup({ signingKey: testSigningKey, source: configOf(source.url), storage, path: 'a2' });
    await rm(path.join(dir, 'a2', 'manifest.sig'));
    const first = scratchName();
    await expect(runRestore({ archive: { storage, path: 'a2' }, target: { ...configOf(source.url), database: first.name }, create: true, trust: testTrust })).rejects.toMatchObject({
      code: 'PGF_ARCHIVE_UNSIGNED',
      message: expect.stringContaining('--trust-unsigned'),
    });
    await runRestore({ archive: { storage, path: 'a2' }, target: { ...configOf(source.url), database: first.name }, create: true, trust: { ...testTrust, trustUnsigned: true } });
    expect((await query<{ n: number }>(first.url, 'SELECT count(*)::int AS n FROM items'))[0]?.n).toBe(200);

    await runBackup({ signingKey: testSigningKey, source: configOf(source.url), storage, path: 'a3' });
    const other = scratchName();
    await expect(runRestore({ archive: { storage, path: 'a3' }, target: { ...configOf(source.url), database: other.name }, create: true, trust: {} })).rejects.toMatchObject({
      code: 'PGF_ARCHIVE_SIGNATURE_INVALID',
      message: expect.stringContaining('another encryption key'),
    });
  });
});

describe('signed archives (listening server)', () => {
  let t: TestApp;
  let base: string;
  let operator: string;
  beforeAll(async () => {
    t = await createTestApp();
    base = await t.app.listen({ port: 0, host: '127.0.0.1' });
    operator = (await t.credentialsFor('operator')).token;
  });
  afterAll(async () => {
    await t.close();
  });

  const call = async (method: string, url: string, body?: unknown) => {
    const response = await fetch(`${base}${url}`, {
      method,
      headers: { authorization: `Bearer ${operator}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, json: (await response.json()) as Record<string, unknown> };
  };

  it('verify reports the signature; a tampered archive fails verify and its restore run, trusted or not', async () => {
    const admin = (await t.credentialsFor('admin')).token;
    const shelf = path.join(dir, 'shelf');
    const created = await fetch(`${base}/api/v1/storages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'sig-shelf', kind: 'local', config: { path: shelf }, create: true }),
    });
    const storageId = ((await created.json()) as { id: string }).id;
    expect(created.status).toBe(201);
    const result = await runBackup({ signingKey: archiveSigningKeyOf(t.secrets), source: configOf(source.url), storage: new LocalStorage(shelf), path: 'b1' });
    const backup = await recordBackup(t.store.db, { storageId, archive: result.archives[0]!, compression: 'gzip' });

    const verified = await call('POST', `/api/v1/backups/${backup.id}/verify`);
    expect(verified.json).toMatchObject({ ok: true, signature: 'valid' });

    await tamperPreData(path.join(shelf, 'b1'), attack);
    const refused = await call('POST', `/api/v1/backups/${backup.id}/verify`);
    expect(refused.json).toMatchObject({ ok: false, signature: 'invalid' });
    expect(String(refused.json.error)).toContain('fails its signature check');

    const server = new URL(serverUrl());
    const connection = await t.store.db
      .insertInto('connections')
      .values({ name: 'sig-target', host: server.hostname, port: Number(server.port || 5432), database: 'postgres', username: decodeURIComponent(server.username) })
      .returning('id')
      .executeTakeFirstOrThrow();
    const worker = new JobWorker({ db: t.store.db, secrets: t.secrets, logger: quietLogger(), executors: { restore: restoreExecutor }, pollIntervalMs: 100, heartbeatIntervalMs: 500 });
    const release = trackResource('job worker', () => worker.stop(0));
    worker.start();
    try {
      for (const [trust, code] of [[false, 'PGF_ARCHIVE_SIGNATURE_INVALID'], [true, 'PGF_ARCHIVE_STATEMENT_REFUSED']] as const) {
        const scratch = scratchName();
        const queued = await call('POST', `/api/v1/backups/${backup.id}/restore`, { connection_id: connection.id, create: true, database: scratch.name, trust_unsigned: trust });
        expect(queued.status, JSON.stringify(queued.json)).toBe(202);
        const run = await waitFor(async () => {
          const current = await getRun(t.store.db, String(queued.json.run_id));
          return ['succeeded', 'failed', 'cancelled'].includes(current.status) ? current : undefined;
        }, 600_000, 'the restore run');
        expect(run).toMatchObject({ status: 'failed', error_code: code });
        // A failed --create restore leaves no database behind.
        expect(await query(serverUrl(), `SELECT 1 FROM pg_database WHERE datname = '${scratch.name}'`)).toEqual([]);
      }
      expect(await roleIsSuper()).toBe(false);
    } finally {
      await worker.stop(0);
      release();
    }
  });
});
