import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ensureFirstAdmin } from '../../src/auth/bootstrap-admin.js';
import { verifyPassword } from '../../src/auth/password-hash.js';
import { startServe } from '../helpers/serve-process.js';
import { createTestStore } from '../helpers/test-database.js';

describe('ensureFirstAdmin', () => {
  let store: Awaited<ReturnType<typeof createTestStore>>;
  beforeAll(async () => {
    store = await createTestStore();
  });
  afterAll(async () => {
    await store.close();
  });

  it('creates exactly one admin even when several processes start together, and never again', async () => {
    const results = await Promise.all([ensureFirstAdmin(store), ensureFirstAdmin(store), ensureFirstAdmin(store)]);
    const created = results.filter((result) => result !== undefined);
    expect(created).toHaveLength(1);
    const users = await store.db.selectFrom('users').selectAll().execute();
    expect(users).toHaveLength(1);
    expect(users[0]).toMatchObject({ username: 'admin', role: 'admin' });
    expect(await verifyPassword(users[0]?.password_hash ?? '', created[0]?.password ?? '')).toBe(true);
    expect(await ensureFirstAdmin(store)).toBeUndefined();
  });
});

describe('pgferry serve in embedded mode', () => {
  it('prints a generated admin password on the first start only, and that password logs in', async () => {
    const home = mkdtempSync(path.join(os.tmpdir(), 'pgferry-first-admin-'));
    try {
      const first = await startServe({ PGFERRY_HOME: home });
      // The admin exists before the port opens, and the notice is written right after listening.
      const deadline = Date.now() + 600_000;
      while (!/password: \S+/.test(first.output()) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
      const password = /password: (\S+)/.exec(first.output())?.[1] ?? '';
      expect(password).toHaveLength(20);
      expect(first.output().split(password).length - 1).toBe(1);
      const login = await fetch(`${first.url}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'admin', password }),
      });
      expect(login.status).toBe(200);
      expect(await first.stop('SIGTERM')).toBe(0);

      const second = await startServe({ PGFERRY_HOME: home });
      // Ready means the bootstrap step has run (it precedes listening); the stop flushes output.
      expect(await second.stop('SIGTERM')).toBe(0);
      expect(second.output()).not.toMatch(/created the first admin|password:/);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
