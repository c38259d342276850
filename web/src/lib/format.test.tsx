import { describe, expect, it } from 'vitest';

import { formatBytes } from './format.js';

describe('formatBytes', () => {
  it('uses binary units, like the server messages', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1023)).toBe('1,023 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(78_596_505_190)).toBe('73.2 GiB');
    expect(formatBytes(5 * 1024 ** 4)).toBe('5 TiB');
  });

  it('shows a dash for a figure that was not reported', () => {
    expect(formatBytes(null)).toBe('—');
    expect(formatBytes(undefined)).toBe('—');
  });
});
