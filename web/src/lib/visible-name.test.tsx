import { describe, expect, it } from 'vitest';

import { visibleName } from './format.js';

describe('visibleName', () => {
  it('spells out bidi controls instead of letting them reorder a name', () => {
    expect(visibleName('invoice\u202Egpj.exe')).toBe('invoice[U+202E]gpj.exe');
    expect(visibleName('a\u2066b\u2069c\u200Ed\u200F')).toBe('a[U+2066]b[U+2069]c[U+200E]d[U+200F]');
  });

  it('leaves other names, and missing ones, as they are', () => {
    expect(visibleName('nightly crm — 夜间同步 עברית')).toBe('nightly crm — 夜间同步 עברית');
    expect(visibleName(null)).toBeNull();
    expect(visibleName(undefined)).toBeUndefined();
  });
});
