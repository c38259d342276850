import { Cron } from 'croner';
import cronstrueI18n from 'cronstrue/i18n.js';

import { PgferryError } from '../errors/pgferry-error.js';
import { checkCronFields } from './cron-fields.js';

export type CronLocale = 'en' | 'zh-CN';

// The i18n bundle is CommonJS; its typings resolve oddly under NodeNext, so name the one call used.
const cronstrue = cronstrueI18n as unknown as {
  toString(expression: string, options: { locale: string; use24HourTimeFormat: boolean; dayOfWeekStartIndexZero: boolean }): string;
};

/** True when `timeZone` is an IANA zone name this runtime knows. */
export function isValidTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

function buildCron(expression: string, timeZone: string): Cron {
  checkCronFields(expression);
  if (!isValidTimeZone(timeZone)) {
    throw new PgferryError('PGF_CRON_INVALID', `time zone "${timeZone}" is not an IANA zone name; use e.g. "UTC", "Asia/Shanghai" or "Europe/Berlin"`, {
      details: { field: 'timezone', value: timeZone },
    });
  }
  try {
    // domAndDow false: a day matches when day-of-month OR day-of-week matches, like Vixie cron.
    return new Cron(expression.trim(), { timezone: timeZone, paused: true, domAndDow: false });
  } catch (error) {
    const message = error instanceof Error ? error.message.replace(/^CronPattern:\s*/, '') : String(error);
    throw new PgferryError('PGF_CRON_INVALID', `cron "${expression}": ${message}`, { details: { field: 'expression' }, cause: error });
  }
}

/** Validates expression and zone; throws PGF_CRON_INVALID naming the bad field. */
export function validateCron(expression: string, timeZone = 'UTC'): void {
  const cron = buildCron(expression, timeZone);
  if (cron.nextRun(new Date()) === null) {
    throw new PgferryError('PGF_CRON_INVALID', `cron "${expression}" never fires (e.g. 30 February); check day of month and month`, {
      details: { field: 'expression' },
    });
  }
}

/** The next `count` fire times strictly after `from` (default now). */
export function nextFireTimes(expression: string, timeZone: string, count: number, from: Date = new Date()): Date[] {
  return buildCron(expression, timeZone).nextRuns(count, from);
}

export function nextFireTime(expression: string, timeZone: string, from: Date = new Date()): Date | null {
  return buildCron(expression, timeZone).nextRun(from);
}

/** A human sentence for the expression, in English or Simplified Chinese. */
export function describeCron(expression: string, locale: CronLocale = 'en'): string {
  const fields = checkCronFields(expression);
  const text = 'nickname' in fields ? nicknameExpression[fields.nickname] ?? expression : expression;
  return cronstrue.toString(text, {
    locale: locale === 'zh-CN' ? 'zh_CN' : 'en',
    use24HourTimeFormat: true,
    dayOfWeekStartIndexZero: true,
  });
}

const nicknameExpression: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@hourly': '0 * * * *',
};

/** Next fire time of an enabled, scheduled job, or null. */
export function computeNextFire(job: { cron: string | null; timezone: string; enabled: boolean }, from = new Date()): Date | null {
  if (!job.enabled || job.cron === null) return null;
  return nextFireTime(job.cron, job.timezone, from);
}
