import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createLogger } from '../../src/logger.js';
import { trackResource } from '../helpers/leak-check.js';
import { type TestApp, createTestApp } from '../helpers/test-app.js';
import { createTestDatabase } from '../helpers/test-database.js';

const script = path.resolve(import.meta.dirname, '../../scripts/verify-deployment.sh');

function run(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    // Asynchronous on purpose: the server under test answers from this same process.
    const child = spawn('bash', [script, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const lines = (stdout: string, verdict: string) =>
  stdout
    .split('\n')
    .filter((line) => line.startsWith(`${verdict} `))
    .map((line) => line.slice(5).trim().split(/\s{2,}/)[0]);

describe('scripts/verify-deployment.sh against a listening pgferry', () => {
  let app: TestApp;
  let baseUrl: string;
  let token: string;
  let source: { url: string };
  let destination: { url: string };
  let restoreTarget: { url: string };
  let storageDir: string;

  beforeAll(async () => {
    app = await createTestApp();
    await app.app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.app.server.address();
    baseUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    token = (await app.credentialsFor('admin')).token;
    storageDir = await mkdtemp(path.join(os.tmpdir(), 'pgferry-verify-'));
    source = await createTestDatabase({ migrated: false, prefix: 'pgferry_verify_src' });
    destination = await createTestDatabase({ migrated: false, prefix: 'pgferry_verify_dst' });
    restoreTarget = await createTestDatabase({ migrated: false, prefix: 'pgferry_verify_rst' });
    const client = new pg.Client({ connectionString: source.url });
    await client.connect();
    try {
      await client.query('CREATE TABLE items (id int PRIMARY KEY, name text); INSERT INTO items SELECT g, $$item$$ || g FROM generate_series(1, 50) g');
    } finally {
      await client.end();
    }
  });

  afterAll(async () => {
    await app?.close();
    if (storageDir) await rm(storageDir, { recursive: true, force: true });
  });

  it('fails the run steps, naming the cause, when no worker executes runs (API alone)', async () => {
    const result = await run([baseUrl, token], { VERIFY_SOURCE_URL: source.url, VERIFY_DEST_URL: destination.url, VERIFY_RUN_TIMEOUT: '3' });
    expect(result.stderr).toBe('');
    expect(lines(result.stdout, 'OK')).toEqual(expect.arrayContaining(['health', 'ready', 'openapi', 'token', 'metrics']));
    if (app.app.hasRoute({ method: 'POST', url: '/api/v1/connections' })) {
      expect(lines(result.stdout, 'OK')).toEqual(expect.arrayContaining(['connection source', 'connection destination']));
    }
    if (app.app.hasRoute({ method: 'POST', url: '/api/v1/sync-jobs/:id/run' })) {
      expect(result.stdout).toMatch(/^FAIL sync run\s+run \S+ still queued after 3s: no worker took it/m);
      expect(result.code).toBe(1);
    }
    for (const line of result.stdout.split('\n').filter((text) => text.startsWith('SKIP '))) expect(line).toMatch(/SKIP \S.*\s{2,}\S/);
    // The script cleans up what it created (queued runs block nothing once their job is gone).
    const left = await app.request({ method: 'GET', url: '/api/v1/connections?search=verify-' });
    if (left.statusCode === 200) expect((left.json() as { items: unknown[] }).items).toEqual([]);
  });

  it('passes every step this pgferry supports when a worker runs the jobs', async () => {
    const { startJobWorker } = await import('../../src/jobs/start-job-worker.js');
    const worker = startJobWorker({
      db: app.store.db,
      secrets: app.secrets,
      logger: createLogger({ level: 'silent' }),
      config: app.config,
      tuning: { pollIntervalMs: 200, heartbeatIntervalMs: 1000 },
    });
    const release = trackResource('job worker', () => worker.stop(1000));
    try {
      const result = await run([baseUrl, token], {
        VERIFY_SOURCE_URL: source.url,
        VERIFY_DEST_URL: destination.url,
        VERIFY_RESTORE_URL: restoreTarget.url,
        VERIFY_STORAGE_DIR: storageDir,
        VERIFY_RUN_TIMEOUT: '60',
      });
      expect(result.stderr).toBe('');
      expect(lines(result.stdout, 'FAIL'), result.stdout).toEqual([]);
      const passed = lines(result.stdout, 'OK');
      expect(passed).toEqual(expect.arrayContaining(['health', 'ready', 'metrics']));
      for (const [route, steps] of [
        ['/api/v1/sync-jobs/:id/run', ['sync job', 'sync run', 'sync rows']],
        ['/api/v1/backup-jobs/:id/run', ['storage', 'backup run', 'backup']],
        ['/api/v1/backups/:id/verify', ['verify']],
        ['/api/v1/backups/:id/restore', ['connection restore', 'restore', 'restore rows']],
      ] as const) {
        if (app.app.hasRoute({ method: 'POST', url: route })) expect(passed, result.stdout).toEqual(expect.arrayContaining([...steps]));
      }
      if (app.app.hasRoute({ method: 'GET', url: '/api/v1/backups/:id/download' })) {
        expect(passed).toContain('download');
        expect(result.stdout).toMatch(/^OK {3}download .*every sha256 matches manifest.json$/m);
      }
      expect(result.stdout).toMatch(/^summary: \d+ OK, 0 FAIL, \d+ SKIP$/m);
      expect(result.code).toBe(0);
    } finally {
      release();
      await worker.stop(1000);
    }
  });

  it('exits 1 and names the step when something fails (a wrong token)', async () => {
    const result = await run([baseUrl, 'pgf_not-a-real-token'], {});
    expect(result.code).toBe(1);
    if (app.app.hasRoute({ method: 'GET', url: '/api/v1/auth/me' })) expect(lines(result.stdout, 'FAIL')).toContain('token');
    expect(result.stdout).not.toContain('pgf_not-a-real-token');
  });

  it('exits 1 when nothing answers, and 2 on bad usage', async () => {
    const down = await run(['http://127.0.0.1:9', token], {});
    expect(down.code).toBe(1);
    expect(lines(down.stdout, 'FAIL')).toEqual(expect.arrayContaining(['health', 'ready']));
    const usage = await run([], {});
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('usage: scripts/verify-deployment.sh URL TOKEN');
  });

  it('VERIFY_STRICT=1 turns skipped steps into a failing exit code', async () => {
    const result = await run([baseUrl, token], { VERIFY_STRICT: '1' });
    expect(lines(result.stdout, 'FAIL')).toEqual([]);
    expect(lines(result.stdout, 'SKIP').length).toBeGreaterThan(0);
    expect(result.code).toBe(1);
  });
});
