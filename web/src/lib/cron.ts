import { Cron } from 'croner';
import cronstrue from 'cronstrue';
import 'cronstrue/locales/zh_CN';

import { type CronFieldName, checkCronField, cronFieldNames } from './cron-fields.js';

// Same libraries the scheduler uses (croner, cronstrue), so what the builder shows is what runs.

export { cronFieldNames } from './cron-fields.js';

export interface CronCheck {
  ok: boolean;
  /** i18n key of the problem; `params` fill it (field names are i18n keys under cron.fieldNames). */
  errorKey?: string;
  params?: Record<string, string | number>;
  field?: CronFieldName;
}

/** 5 fields (minute hour day month weekday) or 6 (with seconds first), like the API. */
export function checkCron(expression: string, timezone = 'UTC'): CronCheck {
  const parts = expression.trim().split(/\s+/).filter(Boolean);
  if (parts.length === 0) return { ok: false, errorKey: 'cron.errors.empty' };
  if (parts.length !== 5 && parts.length !== 6) return { ok: false, errorKey: 'cron.errors.fieldCount', params: { count: parts.length } };
  const names = parts.length === 6 ? cronFieldNames : cronFieldNames.slice(1);
  for (const [index, field] of names.entries()) {
    const problem = checkCronField(field, parts[index] ?? '');
    if (problem) {
      const { reason, ...params } = problem;
      return { ok: false, errorKey: `cron.errors.${reason}`, params, field };
    }
  }
  try {
    new Cron(expression.trim(), { timezone, paused: true });
    return { ok: true };
  } catch (error) {
    // croner's text is English and not part of its API; only use it to find which field it means.
    const message = (error instanceof Error ? error.message : String(error)).toLowerCase();
    const field = names.find((name) => message.includes(name.toLowerCase()));
    return field
      ? { ok: false, errorKey: 'cron.errors.syntax', params: { field, value: parts[names.indexOf(field)] ?? '' }, field }
      : { ok: false, errorKey: 'cron.errors.invalid' };
  }
}

export function describeCron(expression: string, language: string): string {
  try {
    return cronstrue.toString(expression.trim(), {
      locale: language.startsWith('zh') ? 'zh_CN' : 'en',
      use24HourTimeFormat: true,
      verbose: false,
    });
  } catch {
    return '';
  }
}

export function nextFireTimes(expression: string, timezone: string, count = 5, from?: Date): Date[] {
  try {
    const job = new Cron(expression.trim(), { timezone, paused: true });
    return job.nextRuns(count, from ?? new Date());
  } catch {
    return [];
  }
}

export type CronPreset = 'hourly' | 'daily' | 'weekly' | 'monthly' | 'custom';

export interface CronParts {
  preset: CronPreset;
  minute: number;
  hour: number;
  weekday: number;
  day: number;
}

/** Builds the expression for a preset; `custom` leaves the expression to the user. */
export function cronFromParts(parts: CronParts): string | null {
  switch (parts.preset) {
    case 'hourly':
      return `${parts.minute} * * * *`;
    case 'daily':
      return `${parts.minute} ${parts.hour} * * *`;
    case 'weekly':
      return `${parts.minute} ${parts.hour} * * ${parts.weekday}`;
    case 'monthly':
      return `${parts.minute} ${parts.hour} ${parts.day} * *`;
    case 'custom':
      return null;
  }
}

/** Recognises expressions the presets produce, so editing a job reopens the right preset. */
export function partsFromCron(expression: string): CronParts {
  const fallback: CronParts = { preset: 'custom', minute: 0, hour: 2, weekday: 1, day: 1 };
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 5) return fallback;
  const [m, h, dom, mon, dow] = fields as [string, string, string, string, string];
  const num = (value: string) => (/^\d+$/.test(value) ? Number(value) : null);
  const minute = num(m);
  const hour = num(h);
  if (minute === null || mon !== '*') return fallback;
  if (h === '*' && dom === '*' && dow === '*') return { ...fallback, preset: 'hourly', minute };
  if (hour === null) return fallback;
  if (dom === '*' && dow === '*') return { ...fallback, preset: 'daily', minute, hour };
  if (dom === '*' && num(dow) !== null) return { ...fallback, preset: 'weekly', minute, hour, weekday: Number(dow) };
  if (dow === '*' && num(dom) !== null) return { ...fallback, preset: 'monthly', minute, hour, day: Number(dom) };
  return fallback;
}
