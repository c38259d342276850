import { describe, expect, it } from 'vitest';

import { isoWeekKey, planRetention } from '../../src/engine/backup/retention-policy.js';

// One backup a day at 02:00 UTC from 2026-01-01 to 2026-03-31, plus a second one on 03-31.
function calendar() {
  const backups = [];
  for (let day = new Date(Date.UTC(2026, 0, 1, 2)); day <= new Date(Date.UTC(2026, 2, 31, 2)); day = new Date(day.getTime() + 86_400_000)) {
    backups.push({ id: day.toISOString().slice(0, 10), createdAt: day, verified: false });
  }
  backups.push({ id: '2026-03-31b', createdAt: new Date(Date.UTC(2026, 2, 31, 14)), verified: false });
  return backups;
}

const kept = (plan: ReturnType<typeof planRetention>) => plan.keep.map((decision) => decision.backup.id).sort();

describe('retention', () => {
  it('keeps everything without rules', () => {
    expect(planRetention(calendar(), {}).expire).toHaveLength(0);
  });

  it('keeps the last N', () => {
    expect(kept(planRetention(calendar(), { keepLast: 3 }))).toEqual(['2026-03-30', '2026-03-31', '2026-03-31b']);
  });

  it('keeps the newest of each of the last days, weeks and months', () => {
    const plan = planRetention(calendar(), { daily: 3, weekly: 2, monthly: 3 });
    // daily: 03-31b, 03-30, 03-29; weekly: W14 (Mon 03-30..) → 03-31b, W13 → 03-29 (Sunday);
    // monthly: March → 03-31b, February → 02-28, January → 01-31.
    expect(kept(plan)).toEqual(['2026-01-31', '2026-02-28', '2026-03-29', '2026-03-30', '2026-03-31b']);
    expect(plan.keep.length + plan.expire.length).toBe(calendar().length);
    expect(plan.keep.find((decision) => decision.backup.id === '2026-03-31b')?.reasons).toEqual(['daily 2026-03-31', 'weekly 2026-W14', 'monthly 2026-03']);
  });

  it('never expires the newest verified backup', () => {
    const backups = calendar().map((backup) => ({ ...backup, verified: backup.id === '2026-02-10' || backup.id === '2026-01-05' }));
    const plan = planRetention(backups, { keepLast: 1 });
    expect(kept(plan)).toEqual(['2026-02-10', '2026-03-31b']);
  });

  it('uses ISO weeks', () => {
    expect(isoWeekKey(new Date(Date.UTC(2026, 0, 1)))).toBe('2026-W01');
    expect(isoWeekKey(new Date(Date.UTC(2027, 0, 1)))).toBe('2026-W53');
    expect(isoWeekKey(new Date(Date.UTC(2026, 2, 29)))).toBe('2026-W13');
    expect(isoWeekKey(new Date(Date.UTC(2026, 2, 30)))).toBe('2026-W14');
  });
});
