import { describe, expect, it } from 'vitest';

import { describeCron, nextFireTimes, validateCron } from '../../src/cron/cron-schedule.js';
import { PgferryError } from '../../src/errors/pgferry-error.js';

function cronError(expression: string, timeZone = 'UTC'): PgferryError {
  try {
    validateCron(expression, timeZone);
  } catch (error) {
    if (error instanceof PgferryError) return error;
    throw error;
  }
  throw new Error(`expected "${expression}" to be refused`);
}

describe('cron validation', () => {
  it('accepts 5 and 6 fields, names, lists, steps and nicknames', () => {
    for (const expression of ['*/5 * * * *', '*/2 * * * * *', '0 30 2 * * MON-FRI', '0 0 1,15 JAN-MAR *', '0 0 L * *', '@daily']) {
      expect(() => validateCron(expression, 'Asia/Shanghai')).not.toThrow();
    }
  });

  it.each([
    ['61 * * * *', 1, 'minute', 'out of range 0–59'],
    ['0 25 * * *', 2, 'hour', 'out of range 0–23'],
    ['0 0 32 * *', 3, 'day of month', 'out of range 1–31'],
    ['0 0 1 13 *', 4, 'month', 'out of range 1–12'],
    ['0 0 * * 8', 5, 'day of week', 'out of range 0–7'],
    ['75 0 0 * * *', 1, 'second', 'out of range 0–59'],
    ['*/0 * * * *', 1, 'minute', 'step "0"'],
    ['10-5 * * * *', 1, 'minute', 'start is after its end'],
    ['0 x * * *', 2, 'hour', 'not a number'],
  ])('"%s" names field %i (%s)', (expression, position, field, text) => {
    const error = cronError(expression);
    expect(error.code).toBe('PGF_CRON_INVALID');
    expect(error.details).toMatchObject({ position, field });
    expect(error.message).toContain(`field ${position} (${field})`);
    expect(error.message).toContain(text);
  });

  it('says how many fields it expects', () => {
    expect(cronError('* * * *').message).toContain('has 4 fields; expected 5');
    expect(cronError('* * * * * * *').message).toContain('has 7 fields');
  });

  it('refuses an expression that never fires and an unknown time zone', () => {
    expect(cronError('0 0 30 2 *').message).toContain('never fires');
    const zone = cronError('0 0 * * *', 'Mars/Olympus');
    expect(zone.details).toMatchObject({ field: 'timezone' });
    expect(zone.message).toContain('Mars/Olympus');
  });
});

describe('next fire times', () => {
  it('follows wall-clock time across the spring-forward change in Europe/Berlin', () => {
    // 29 March 2026: 02:00 CET jumps to 03:00 CEST.
    const times = nextFireTimes('0 30 1 * * *', 'Europe/Berlin', 3, new Date('2026-03-27T12:00:00Z'));
    expect(times.map((time) => time.toISOString())).toEqual([
      '2026-03-28T00:30:00.000Z', // 01:30 CET (UTC+1)
      '2026-03-29T00:30:00.000Z', // 01:30 CET, before the change
      '2026-03-29T23:30:00.000Z', // 01:30 CEST (UTC+2) on the 30th
    ]);
  });

  it('fires a non-existent local time (02:30 on the change day) once, not twice or never', () => {
    const times = nextFireTimes('0 30 2 * * *', 'Europe/Berlin', 3, new Date('2026-03-28T00:00:00Z'));
    expect(times).toHaveLength(3);
    const days = times.map((time) => time.toISOString().slice(0, 10));
    expect(new Set(days).size).toBe(3);
    expect(times[0]?.toISOString()).toBe('2026-03-28T01:30:00.000Z');
    expect(times[2]?.toISOString()).toBe('2026-03-30T00:30:00.000Z');
  });

  it('fires an ambiguous local time (02:30 on the autumn change day) once', () => {
    // 25 October 2026: 03:00 CEST goes back to 02:00 CET, so 02:30 happens twice.
    const times = nextFireTimes('0 30 2 * * *', 'Europe/Berlin', 3, new Date('2026-10-24T12:00:00Z'));
    const days = times.map((time) => time.toISOString().slice(0, 10));
    expect(days).toEqual(['2026-10-25', '2026-10-26', '2026-10-27']);
    expect(times[1]?.toISOString()).toBe('2026-10-26T01:30:00.000Z');
  });

  it('counts 6-field schedules in seconds', () => {
    const times = nextFireTimes('*/2 * * * * *', 'UTC', 3, new Date('2026-01-01T00:00:00.500Z'));
    expect(times.map((time) => time.toISOString())).toEqual(['2026-01-01T00:00:02.000Z', '2026-01-01T00:00:04.000Z', '2026-01-01T00:00:06.000Z']);
  });
});

describe('cron descriptions', () => {
  it('describes in English and Simplified Chinese', () => {
    expect(describeCron('0 30 2 * * 1-5')).toBe('At 02:30, Monday through Friday');
    expect(describeCron('*/2 * * * * *', 'zh-CN')).toBe('每隔 2 秒');
    expect(describeCron('@daily', 'zh-CN')).toContain('00:00');
  });
});
