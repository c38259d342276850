import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import en from './en.json';
import { detectLanguage } from './i18n.js';
import zhCN from './zh-CN.json';

function flatten(node: unknown, prefix = ''): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(node as Record<string, unknown>)) {
    const full = prefix ? `${prefix}.${key}` : key;
    if (typeof value === 'string') out[full] = value;
    else Object.assign(out, flatten(value, full));
  }
  return out;
}

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return sources(full);
    return /\.tsx?$/.test(name) && !/\.test\.tsx?$/.test(name) ? [full] : [];
  });
}

const enKeys = flatten(en);
const zhKeys = flatten(zhCN);
// Names that stay as they are in Chinese UIs.
const untranslatable = /^(Slack|Telegram|Microsoft Teams|Discord|Mattermost|ntfy|API|IP|pg_dump|WHERE.*|Cron.*|SSL.*|Webhook.*)$/;

describe('locales', () => {
  it('have the same keys', () => {
    expect(Object.keys(zhKeys).sort()).toEqual(Object.keys(enKeys).sort());
  });

  it('leave no English in zh-CN', () => {
    const english = Object.entries(zhKeys).filter(([, value]) => {
      const text = value.replace(/\{\{[^}]+\}\}/g, '').trim();
      return text !== '' && !/[\u4e00-\u9fff]/.test(text) && !untranslatable.test(text) && /[A-Za-z]{2,}/.test(text);
    });
    expect(english).toEqual([]);
  });

  it('define every key the code uses literally', () => {
    const root = path.resolve(__dirname, '..');
    const used = new Set<string>();
    for (const file of sources(root)) {
      const text = readFileSync(file, 'utf8');
      for (const match of text.matchAll(/\bt\(\s*'([a-zA-Z][\w.-]*)'/g)) used.add(match[1] as string);
      for (const match of text.matchAll(/'((?:validation|cron\.errors|nav)\.[\w]+)'/g)) used.add(match[1] as string);
    }
    const missing = [...used].filter((key) => !(key in enKeys) && !(`${key}_one` in enKeys));
    expect(missing).toEqual([]);
  });

  it('give every server error code a message in both languages', () => {
    const registry = readFileSync(path.resolve(__dirname, '../../../src/errors/error-codes.ts'), 'utf8');
    const codes = [...registry.matchAll(/^\s+(PGF_[A-Z_]+):/gm)].map((match) => match[1] as string);
    expect(codes.length).toBeGreaterThan(50);
    const missing = codes.flatMap((code) => [`en:${code}`, `zh-CN:${code}`]).filter((entry) => {
      const [language, code] = entry.split(':') as [string, string];
      return !(`errors.codes.${code}` in (language === 'en' ? enKeys : zhKeys));
    });
    expect(missing).toEqual([]);
  });

  it('pick the language from the stored choice, then the browser', () => {
    expect(detectLanguage(null, ['zh-TW', 'en'])).toBe('zh-CN');
    expect(detectLanguage(null, ['fr-FR', 'en-GB'])).toBe('en');
    expect(detectLanguage(null, ['fr-FR'])).toBe('en');
    expect(detectLanguage('en', ['zh-CN'])).toBe('en');
    expect(detectLanguage('zh-CN', ['en-US'])).toBe('zh-CN');
  });
});
