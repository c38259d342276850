import { describe, expect, it } from 'vitest';

import { escapeHtml } from '../../src/api/html-text.js';

describe('escapeHtml', () => {
  it('turns the characters HTML gives meaning to into entities, and leaves the rest', () => {
    expect(escapeHtml(`/login?a=1&b="x"'<script>`)).toBe('/login?a=1&amp;b=&quot;x&quot;&#39;&lt;script&gt;');
    expect(escapeHtml('https://idp.example/authorize?state=abc')).toBe('https://idp.example/authorize?state=abc');
  });
});
