import { describe, expect, it } from 'vitest';

import { containsPattern, escapeLike } from '../../src/store/like-pattern.js';

describe('LIKE patterns from user text', () => {
  it('escapes the wildcards and the escape character, nothing else', () => {
    expect(escapeLike('50%_off\\now')).toBe('50\\%\\_off\\\\now');
    expect(escapeLike('plain name')).toBe('plain name');
    expect(containsPattern('a_b')).toBe('%a\\_b%');
  });
});
