import { existsSync } from 'node:fs';

import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';

import { chromiumArgs, chromiumPath } from './e2e-server.js';
import { findClipped, findEnglishRuns, hasCjkFont } from './ui-checks.js';

// The acceptance checks of web-ui.test.ts catch what they claim to: a page built to break each.
describe.skipIf(!existsSync(chromiumPath))('UI acceptance checks', () => {
  it('find a clipped badge, a wrapped header, a top-bar button past the edge, a page wider than the screen and English outside data areas', async () => {
    const browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
    try {
      const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
      await page.setContent(`
        <table style="width:200px;table-layout:fixed"><thead><tr><th style="width:30px">剩余时间</th><th>ok</th></tr></thead>
          <tbody><tr><td style="width:30px"><div class="mantine-Badge-root" style="display:inline-grid;width:fit-content;overflow:hidden;max-width:100%">
            <span class="mantine-Badge-label" style="white-space:nowrap;overflow:hidden;text-overflow:ellipsis">SUCCEEDED</span></div></td><td></td></tr></tbody></table>
        <p>This is English text</p><p data-untranslated="log">also English words here</p><code>select one two</code>
        <div style="width:600px">wide</div>
        <header style="position:fixed;top:0;left:0;width:390px;display:flex;white-space:nowrap"><span style="flex:none;width:360px">logo</span><button>Log out</button></header>`);
      expect(await hasCjkFont(page), 'no Chinese font (apt-get install fonts-wqy-microhei)').toBe(true);
      expect((await findClipped(page)).map((item) => item.kind).sort()).toEqual(['badge', 'header', 'page', 'th']);
      expect(await findEnglishRuns(page)).toEqual(['This is English text']);
    } finally {
      await browser.close();
    }
  });
});
