import { describe, expect, it } from 'vitest';

import { formatBytes, formatInTimeZone } from './format.js';

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

describe('formatInTimeZone', () => {
  it("shows the clock of the job's own time zone", () => {
    expect(formatInTimeZone('2026-12-04T18:00:00Z', 'Asia/Shanghai')).toBe('2026-12-05 02:00');
    expect(formatInTimeZone('2026-07-01T00:30:00Z', 'America/New_York')).toBe('2026-06-30 20:30');
    expect(formatInTimeZone(null, 'UTC')).toBe('—');
  });
});
