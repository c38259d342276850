import type { Page } from 'playwright-core';

/**
 * Layout and language checks run inside the page (issue 16, part 3, item 8). Areas that show
 * data, logs, codes or the server's own text carry `data-untranslated` and are not checked for
 * English; code blocks, inputs and the run log are data by nature. The checks are browser
 * JavaScript in strings: the test project has no DOM types.
 */

export interface Clipped {
  kind: 'badge' | 'th' | 'page' | 'header';
  text: string;
  problem: string;
}

const clippedScript = `(() => {
  const out = [];
  const visible = (element) => {
    const box = element.getBoundingClientRect();
    return box.width > 0 && box.height > 0 && getComputedStyle(element).visibility !== 'hidden';
  };
  for (const badge of document.querySelectorAll('.mantine-Badge-root')) {
    if (!visible(badge)) continue;
    const label = badge.querySelector('.mantine-Badge-label') || badge;
    for (const element of [badge, label]) {
      if (element.scrollWidth > element.clientWidth + 1) {
        out.push({ kind: 'badge', text: badge.textContent || '', problem: 'scrollWidth ' + element.scrollWidth + ' > clientWidth ' + element.clientWidth });
        break;
      }
    }
  }
  for (const th of document.querySelectorAll('th')) {
    if (!visible(th) || !(th.textContent || '').trim()) continue;
    if (th.scrollWidth > th.clientWidth + 1) out.push({ kind: 'th', text: th.textContent || '', problem: 'scrollWidth ' + th.scrollWidth + ' > clientWidth ' + th.clientWidth });
    const range = document.createRange();
    range.selectNodeContents(th);
    const lines = new Set([...range.getClientRects()].filter((rect) => rect.width > 0).map((rect) => Math.round(rect.top)));
    if (lines.size > 1) out.push({ kind: 'th', text: th.textContent || '', problem: 'wraps over ' + lines.size + ' lines' });
  }
  // Everything in the top bar is on screen (on a phone "Log out" once ended past the edge).
  for (const element of document.querySelectorAll('header button, header a, header [role=radiogroup]')) {
    if (!visible(element)) continue;
    const box = element.getBoundingClientRect();
    if (box.right > window.innerWidth + 1 || box.left < -1) out.push({ kind: 'header', text: element.textContent || '', problem: 'spans ' + Math.round(box.left) + '..' + Math.round(box.right) + ' of a ' + window.innerWidth + ' px viewport' });
  }
  // The page itself never scrolls sideways: wide tables scroll inside their own container.
  const page = document.documentElement;
  if (page.scrollWidth > window.innerWidth + 1) out.push({ kind: 'page', text: document.title, problem: 'page scrollWidth ' + page.scrollWidth + ' > viewport ' + window.innerWidth });
  return out;
})()`;

const englishScript = `(() => {
  const skip = '[data-untranslated], code, pre, input, textarea, script, style, [data-testid=run-log], .mantine-Code-root';
  const runs = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (!parent || parent.closest(skip)) continue;
    const box = parent.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) continue;
    for (const match of (node.textContent || '').matchAll(/[A-Za-z][A-Za-z']+(?:\\s+[A-Za-z][A-Za-z']+){2,}/g)) runs.push(match[0]);
  }
  return runs;
})()`;

/** Badges and table headers whose text is cut (scrollWidth > clientWidth), a header broken over lines, or a page wider than the viewport. */
export function findClipped(page: Page): Promise<Clipped[]> {
  return page.evaluate(clippedScript) as Promise<Clipped[]>;
}

/** Text runs of three or more English words outside the areas marked as data. */
export function findEnglishRuns(page: Page): Promise<string[]> {
  return page.evaluate(englishScript) as Promise<string[]>;
}

/** Sets the remembered UI language (read at the next load). */
export async function rememberLanguage(page: Page, language: 'en' | 'zh-CN'): Promise<void> {
  await page.evaluate(`localStorage.setItem('pgferry.language', ${JSON.stringify(language)})`);
}

/**
 * Whether Chinese text is drawn with a real font: without one, glyphs get a narrow fallback
 * width and no zh-CN width measurement means anything (install fonts-wqy-microhei).
 */
export async function hasCjkFont(page: Page): Promise<boolean> {
  const width = await page.evaluate(`(() => {
    const span = document.createElement('span');
    span.style.cssText = 'font-size:20px;position:absolute;white-space:nowrap';
    span.textContent = '剩余时间';
    document.body.appendChild(span);
    const width = span.getBoundingClientRect().width;
    span.remove();
    return width;
  })()`);
  return (width as number) >= 4 * 20 * 0.8;
}
