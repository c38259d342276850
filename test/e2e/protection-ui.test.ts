import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { type Browser, type Page, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type TestCluster, startCluster } from '../helpers/pg-cluster.js';
import { trackResource } from '../helpers/leak-check.js';
import { createTestDatabase } from '../helpers/test-database.js';
import { parseLsn } from '../../src/engine/wal/lsn.js';
import { storedSegments } from '../protection/protection-fixtures.js';
import { freePort, stopRestored, withClient } from '../wal/wal-fixtures.js';
import { type ServeHandle, buildWeb, chromiumArgs, chromiumPath, pgferry, repoRoot, startServe } from './e2e-server.js';
import { rememberLanguage } from './ui-checks.js';

// The continuous-protection page in Chromium against a real `pgferry serve` (whose worker
// streams): turn it on with a storage, see it stream and its lag, read it in Chinese, turn it off.

const artifacts = path.join(repoRoot, 'test-artifacts');
const hasChromium = existsSync(chromiumPath);
const adminPassword = 'e2e-protection-admin-1';

describe.skipIf(!hasChromium)('continuous protection page in chromium', () => {
  let serve: ServeHandle;
  let cluster: TestCluster;
  let browser: Browser;
  let page: Page;
  let releaseBrowser = () => undefined as unknown;
  const storageDir = mkdtempSync(path.join(os.tmpdir(), 'pgferry-e2e-protection-'));

  beforeAll(async () => {
    mkdirSync(artifacts, { recursive: true });
    await buildWeb();
    const store = await createTestDatabase({ prefix: 'pgferry_e2e_protection' });
    cluster = await startCluster({ major: 17 });
    serve = await startServe(store.url, { PGFERRY_HOME: path.join(storageDir, 'home') });
    await pgferry(['users', 'create', 'admin', '--admin', '--password-stdin'], serve.env, `${adminPassword}\n`);
    await pgferry(['connections', 'add', 'primary', '--host', '127.0.0.1', '--port', String(cluster.port), '--database', 'postgres', '--user', 'postgres', '--sslmode', 'disable', '--password-stdin'], serve.env, `${cluster.password}\n`);
    await pgferry(['storage', 'add', 'wal-store', '--kind', 'local', '--path', path.join(storageDir, 'storage'), '--create'], serve.env);
    browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
    releaseBrowser = trackResource('chromium', () => browser.close());
    page = await (await browser.newContext({ viewport: { width: 1280, height: 860 }, locale: 'en-US' })).newPage();
  }, 600_000);
  afterAll(async () => {
    releaseBrowser();
    await browser?.close();
    await serve?.stop();
    await cluster?.stop();
    rmSync(storageDir, { recursive: true, force: true });
  });

  it('turns protection on, shows it streaming with its lag, in both languages, and turns it off (the slot goes)', async () => {
    await page.goto(`${serve.url}/login`);
    await page.fill('input[name=username]', 'admin');
    await page.fill('input[name=password]', adminPassword);
    await page.getByTestId('login-submit').click();
    await page.getByTestId('current-user').waitFor();

    await page.goto(`${serve.url}/connections`);
    await page.getByTestId('row-protection').first().click();
    await expect.poll(() => page.getByTestId('protection-state').textContent(), { timeout: 60_000 }).toBe('Off');
    await page.getByTestId('protection-storage').click();
    await page.getByRole('option', { name: 'wal-store', exact: true }).click();
    await page.getByTestId('protection-enable').click();
    await expect.poll(() => page.getByTestId('protection-state').textContent(), { timeout: 120_000 }).toBe('Streaming');
    await withClient(cluster.url(), (client) => client.query('CREATE TABLE t AS SELECT generate_series(1, 1000) AS id'));
    await expect.poll(async () => (await page.getByTestId('protection-lag').textContent()) ?? '', { timeout: 120_000 }).toMatch(/\d+(\.\d+)? s/);
    await page.screenshot({ path: path.join(artifacts, 'protection-en.png'), fullPage: true });

    await rememberLanguage(page, 'zh-CN');
    await page.reload();
    await expect.poll(() => page.getByTestId('protection-state').textContent(), { timeout: 60_000 }).toBe('流式复制中');
    await page.screenshot({ path: path.join(artifacts, 'protection-zh-CN.png'), fullPage: true });
    await rememberLanguage(page, 'en');
    await page.reload();

    // Restore to a moment: a base backup, rows before and after a noted time, the wizard queues the run.
    chmodSync(storageDir, 0o755);
    chmodSync(path.join(storageDir, 'storage'), 0o755);
    await pgferry(['backup', '--from', cluster.url(), '--to', path.join(storageDir, 'storage'), '--format', 'physical', '--name', 'base1'], serve.env);
    const noted = await withClient(cluster.url(), async (client) => {
      await client.query('CREATE TABLE wizard_rows AS SELECT generate_series(1, 40) AS id');
      return (await client.query<{ at: string }>(`SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS at`)).rows[0]!.at;
    });
    const end = await withClient(cluster.url(), async (client) => {
      await client.query('INSERT INTO wizard_rows SELECT generate_series(41, 90)');
      return (await client.query<{ lsn: string }>('SELECT pg_switch_wal()::text AS lsn')).rows[0]!.lsn;
    });
    const segment = (parseLsn(end) - 1n) / BigInt(16 * 1024 * 1024);
    await expect.poll(async () => (await storedSegments(path.join(storageDir, 'storage'))).segments.includes(segment), { timeout: 180_000 }).toBe(true);
    await page.reload();
    await page.getByTestId('restore-time').waitFor({ timeout: 120_000 });
    await page.getByTestId('restore-time').fill('2001-01-01T00:00:00Z');
    await expect.poll(() => page.getByTestId('restore-submit').isDisabled()).toBe(true);
    await page.getByTestId('restore-time').fill(noted);
    const restored = path.join(storageDir, 'restored');
    const port = await freePort();
    await page.getByTestId('restore-dir').fill(restored);
    await page.getByTestId('restore-port').fill(String(port));
    await page.getByTestId('restore-submit').click();
    await page.getByTestId('restore-run-link').click();
    try {
      await expect.poll(() => page.locator('[data-status]').first().getAttribute('data-status'), { timeout: 600_000 }).toMatch(/succeeded|failed/);
      expect(await page.locator('[data-status]').first().getAttribute('data-status'), await page.getByTestId('run-log').textContent() ?? '').toBe('succeeded');
      await expect.poll(async () => (await page.getByTestId('run-log').textContent()) ?? '', { timeout: 60_000 }).toContain(`open on port ${port}`);
      await page.screenshot({ path: path.join(artifacts, 'protection-restore-run.png'), fullPage: true });
      const url = cluster.url().replace(`:${cluster.port}/`, `:${port}/`);
      expect(await withClient(url, async (client) => (await client.query('SELECT count(*)::int AS n FROM wizard_rows')).rows[0].n as number)).toBe(40);
    } finally {
      stopRestored(restored, cluster.binaries.pg_ctl);
    }
    await page.goBack();

    await page.getByTestId('protection-disable').click();
    await expect.poll(() => page.getByTestId('protection-state').textContent(), { timeout: 120_000 }).toBe('Off');
    await expect
      .poll(() => withClient(cluster.url(), async (client) => (await client.query(`SELECT count(*)::int AS n FROM pg_replication_slots WHERE slot_name LIKE 'pgferry_wal_%'`)).rows[0].n as number), { timeout: 120_000 })
      .toBe(0);

    await page.goto(`${serve.url}/`);
    await expect.poll(async () => (await page.getByTestId('kpi-worst-rpo').textContent()) ?? '', { timeout: 60_000 }).toContain('Worst RPO');
  });
});
