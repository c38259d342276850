import { existsSync } from 'node:fs';

import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startPgferryWithProvider } from '../auth/oidc/oidc-provider-fixture.js';
import { trackResource } from '../helpers/leak-check.js';
import { buildWeb, chromiumArgs, chromiumPath } from './e2e-server.js';

const hasChromium = existsSync(chromiumPath);

// The SSO button in a real browser: through the provider's own login and consent pages and
// back into the app, signed in (the SameSite=strict session must survive the cross-site return).
describe.skipIf(!hasChromium)('SSO sign-in in chromium', () => {
  let env: Awaited<ReturnType<typeof startPgferryWithProvider>>;
  let browser: Browser;
  let releaseBrowser = () => undefined as unknown;

  beforeAll(async () => {
    await buildWeb();
    env = await startPgferryWithProvider({ dana: { preferred_username: 'dana', groups: ['pg-ops'] } }, { PGFERRY_OIDC_AUTO_CREATE: 'true', PGFERRY_OIDC_LABEL: 'Acme SSO', PGFERRY_COOKIE_SECURE: 'false' });
    browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
    releaseBrowser = trackResource('chromium', () => browser.close());
  }, 600_000);
  afterAll(async () => {
    await browser?.close();
    releaseBrowser();
    await env?.t.close();
    await env?.provider.close();
  });

  it('signs in with the SSO button and lands in the app as the mapped user', async () => {
    const page = await browser.newPage();
    await page.goto(`${env.base}/login`);
    await expect(page.getByTestId('sso-login').textContent()).resolves.toContain('Acme SSO');
    await page.getByTestId('sso-login').click();
    await page.fill('input[name=login]', 'dana');
    await page.fill('input[name=password]', 'any');
    await page.click('button[type=submit]');
    // The provider's consent page.
    await page.click('button[type=submit]');
    await page.getByTestId('current-user').waitFor();
    expect(await page.getByTestId('current-user').textContent()).toContain('dana');
    expect(new URL(page.url()).pathname).toBe('/');
  }, 300_000);
});
