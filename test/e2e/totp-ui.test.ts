import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';

import { generateSync } from 'otplib';
import { type Browser, type Page, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { trackResource } from '../helpers/leak-check.js';
import { createTestDatabase } from '../helpers/test-database.js';
import { type ServeHandle, buildWeb, chromiumArgs, chromiumPath, pgferry, repoRoot, startServe } from './e2e-server.js';
import { findEnglishRuns, rememberLanguage } from './ui-checks.js';

// Two-factor sign-in in Chromium against a real `pgferry serve` that requires it of admins:
// the admin is sent to enrol, scans nothing but reads the key shown, saves the recovery codes,
// and signs in again with a code computed here from that key.

const artifacts = path.join(repoRoot, 'test-artifacts');
const adminPassword = 'e2e-totp-admin-password-1';
const hasChromium = existsSync(chromiumPath);

/** A code for the next 30-second step: later than the one enrolment used, still within the server's drift window. */
const nextCode = (secret: string) => generateSync({ secret, epoch: Math.floor(Date.now() / 1000) + 30 });

describe.skipIf(!hasChromium)('two-factor sign-in in chromium', () => {
  let serve: ServeHandle;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];
  let releaseBrowser = () => undefined as unknown;

  const shot = async (name: string) => {
    await page.waitForLoadState('networkidle').catch(() => undefined);
    await page.screenshot({ path: path.join(artifacts, `${name}.png`), fullPage: true });
  };
  const passwordStep = async () => {
    await page.goto(`${serve.url}/login`);
    await page.fill('input[name=username]', 'admin');
    await page.fill('input[name=password]', adminPassword);
    await page.getByTestId('login-submit').click();
  };

  beforeAll(async () => {
    mkdirSync(artifacts, { recursive: true });
    await buildWeb();
    const store = await createTestDatabase({ prefix: 'pgferry_e2e_totp' });
    serve = await startServe(store.url, { PGFERRY_REQUIRE_2FA_FOR_ADMINS: 'true' });
    await pgferry(['users', 'create', 'admin', '--admin', '--password-stdin'], serve.env, `${adminPassword}\n`);
    browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
    releaseBrowser = trackResource('chromium', () => browser.close());
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, locale: 'en-US' });
    page = await context.newPage();
    page.setDefaultTimeout(300_000); // a busy CI machine renders slowly; this only guards hangs
    page.on('pageerror', (error) => pageErrors.push(error.message));
  }, 180_000);

  afterAll(async () => {
    releaseBrowser();
    await browser?.close();
    await serve?.stop();
  });

  it('sends an admin without TOTP to enrol, shows the recovery codes once, then asks for the code at sign-in', async () => {
    await passwordStep();
    // PGFERRY_REQUIRE_2FA_FOR_ADMINS: the app goes straight to the security page.
    await page.getByTestId('totp-required').waitFor();
    expect(new URL(page.url()).pathname).toBe('/account/security');
    await page.getByTestId('totp-start').click();
    await page.getByTestId('totp-qr').waitFor();
    const secret = (await page.getByTestId('totp-secret').textContent())?.trim() ?? '';
    expect(secret).toMatch(/^[A-Z2-7]{16,}$/);
    await shot('totp-enrol-en');
    await page.getByTestId('totp-confirm-input').fill(generateSync({ secret }));
    await page.getByTestId('totp-confirm').click();
    const codes = (await page.getByTestId('recovery-codes').textContent()) ?? '';
    expect(codes.match(/[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}/g)).toHaveLength(10);
    await page.getByTestId('recovery-saved').click();
    await expect(page.getByTestId('totp-state').textContent()).resolves.toBe('On');
    expect(await page.getByTestId('recovery-codes').count()).toBe(0);
    // Enrolled: the rest of the app opens.
    await page.getByTestId('nav-connections').click();
    await page.getByTestId('connection-new').waitFor();

    await page.getByTestId('logout').click();
    await passwordStep();
    await page.getByTestId('second-factor-code').waitFor();
    expect(await page.getByTestId('current-user').count()).toBe(0);
    await shot('totp-login-en');
    const code = nextCode(secret);
    await page.getByTestId('second-factor-code').fill(String((Number(code) + 500_000) % 1_000_000).padStart(6, '0'));
    await page.getByTestId('second-factor-submit').click();
    await page.getByTestId('second-factor-error').waitFor();
    await page.getByTestId('second-factor-code').fill(code);
    await page.getByTestId('second-factor-submit').click();
    await page.getByTestId('current-user').waitFor();
    expect(pageErrors).toEqual([]);
  });

  it('shows the prompt and the security page in 简体中文 with no English left', async () => {
    await page.goto(`${serve.url}/account/security`);
    await rememberLanguage(page, 'zh-CN');
    await page.reload();
    await page.getByTestId('totp-state').waitFor();
    await shot('totp-security-zh-CN');
    const problems = (await findEnglishRuns(page)).map((run) => `security page: "${run}"`);
    await page.getByTestId('logout').click();
    await passwordStep();
    await page.getByTestId('second-factor-code').waitFor();
    await page.getByTestId('second-factor-switch').click();
    await shot('totp-login-recovery-zh-CN');
    problems.push(...(await findEnglishRuns(page)).map((run) => `second-factor prompt: "${run}"`));
    expect(problems).toEqual([]);
  });
});
