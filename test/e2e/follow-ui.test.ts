import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';

import pg from 'pg';
import { type Browser, type Page, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { trackResource } from '../helpers/leak-check.js';
import { type TestCluster, startCluster } from '../helpers/pg-cluster.js';
import { createTestDatabase } from '../helpers/test-database.js';
import { type ServeHandle, buildWeb, chromiumArgs, chromiumPath, pgferry, repoRoot, startServe } from './e2e-server.js';

// A continuous-sync job's page in Chromium against a real `pgferry serve` (whose worker follows
// the job from a wal_level=logical source): the state, the lag figure and the live chart show,
// and the cut-over button asks for the job's name before it does anything.

const artifacts = path.join(repoRoot, 'test-artifacts');
const adminPassword = 'e2e-follow-admin-password-1';
const hasChromium = existsSync(chromiumPath);

async function query(url: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  const release = trackResource(`client on ${url}`, () => client.end());
  await client.connect();
  try {
    await client.query(text);
  } finally {
    release();
    await client.end();
  }
}

describe.skipIf(!hasChromium)('continuous-sync job page in chromium', () => {
  let cluster: TestCluster;
  let serve: ServeHandle;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];
  let releaseBrowser = () => undefined as unknown;

  beforeAll(async () => {
    mkdirSync(artifacts, { recursive: true });
    await buildWeb();
    cluster = await startCluster({ major: 17, settings: { wal_level: 'logical' } });
    const sourceUrl = await cluster.createDatabase('ui_follow_src');
    await query(sourceUrl, `CREATE TABLE public.events (id int PRIMARY KEY, note text); INSERT INTO public.events SELECT g, 'n' || g FROM generate_series(1, 100) g`);
    const destination = await createTestDatabase({ migrated: false, prefix: 'pgferry_e2e_follow_dst' });
    const store = await createTestDatabase({ prefix: 'pgferry_e2e_follow' });
    serve = await startServe(store.url, { PGFERRY_WORKER_CONCURRENCY: '1' });
    await pgferry(['users', 'create', 'admin', '--admin', '--password-stdin'], serve.env, `${adminPassword}\n`);
    await pgferry(['connections', 'add', 'ui-source', '--host', '127.0.0.1', '--port', String(cluster.port), '--database', 'ui_follow_src', '--user', 'postgres', '--password-stdin'], serve.env, `${cluster.password}\n`);
    const dst = new URL(destination.url);
    await pgferry(['connections', 'add', 'ui-destination', '--host', dst.hostname, '--port', dst.port || '5432', '--database', destination.name, '--user', decodeURIComponent(dst.username)], serve.env);
    await pgferry(['jobs', 'create', 'follow', '--name', 'ui-follow', '--source', 'ui-source', '--destination', 'ui-destination', '--tables', 'public.events'], serve.env);
    browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
    releaseBrowser = trackResource('chromium', () => browser.close());
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US' });
    page = await context.newPage();
    page.setDefaultTimeout(300_000); // a busy machine renders slowly; this only guards hangs
    page.on('pageerror', (error) => pageErrors.push(error.message));
  }, 600_000);

  afterAll(async () => {
    releaseBrowser();
    await browser?.close();
    await serve?.stop();
    await cluster?.stop('immediate');
  });

  it('opens the job from the list and sees it running with its lag and the live chart', async () => {
    await page.goto(`${serve.url}/login`);
    await page.fill('input[name=username]', 'admin');
    await page.fill('input[name=password]', adminPassword);
    await page.getByTestId('login-submit').click();
    await page.waitForURL(`${serve.url}/`);
    await page.goto(`${serve.url}/follow-jobs`);
    await page.getByRole('link', { name: 'ui-follow' }).click();
    await expect.poll(async () => page.getByTestId('follow-state').textContent(), { timeout: 300_000, interval: 500 }).toBe('Running');
    // The live status answers every 2 s: the lag figure turns from "—" into bytes and seconds.
    await expect.poll(async () => page.getByTestId('follow-lag').textContent(), { timeout: 300_000, interval: 500 }).toMatch(/\d.* \/ \d+(\.\d+)? s/);
    await expect.poll(async () => page.locator('[data-testid=lag-chart] .recharts-line').count(), { timeout: 300_000, interval: 500 }).toBeGreaterThan(0);
    // A write on the source reaches the page as the last applied transaction (stored by the follower every few seconds).
    await query(cluster.url('ui_follow_src'), `UPDATE public.events SET note = note || '!' WHERE id <= 10`);
    await expect.poll(async () => page.getByTestId('follow-last-transaction').textContent(), { timeout: 300_000, interval: 500 }).toMatch(/^\d+ · /);
    await page.screenshot({ path: path.join(artifacts, 'follow-job-page.png'), fullPage: true });

    // Cut-over asks for the job's name: the button stays disabled until it is typed exactly.
    await page.getByTestId('cutover-follow').click();
    await expect.poll(async () => page.getByTestId('confirm-button').isDisabled()).toBe(true);
    await page.getByTestId('confirm-name-input').fill('ui-folow');
    expect(await page.getByTestId('confirm-button').isDisabled()).toBe(true);
    await page.getByTestId('confirm-name-input').fill('ui-follow');
    expect(await page.getByTestId('confirm-button').isDisabled()).toBe(false);
    await page.keyboard.press('Escape');
    expect(pageErrors).toEqual([]);
  }, 600_000);
});
