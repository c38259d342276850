/**
 * Structured checks of one cron field, so the UI can say what is wrong in the user's language
 * (field + reason + values) instead of showing the cron library's English message.
 * croner stays the final judge (lib/cron.ts); this only explains the common mistakes.
 */

export const cronFieldNames = ['second', 'minute', 'hour', 'dayOfMonth', 'month', 'dayOfWeek'] as const;
export type CronFieldName = (typeof cronFieldNames)[number];

const limits: Record<CronFieldName, { min: number; max: number; names?: string[] }> = {
  second: { min: 0, max: 59 },
  minute: { min: 0, max: 59 },
  hour: { min: 0, max: 23 },
  dayOfMonth: { min: 1, max: 31 },
  month: { min: 1, max: 12, names: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'] },
  // 7 is Sunday too, as in croner and most crons.
  dayOfWeek: { min: 0, max: 7, names: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] },
};

export type CronFieldProblem =
  | { reason: 'outOfRange'; field: CronFieldName; value: string; min: number; max: number }
  | { reason: 'rangeOrder'; field: CronFieldName; value: string }
  | { reason: 'step'; field: CronFieldName; value: string; max: number }
  | { reason: 'syntax'; field: CronFieldName; value: string };

export function cronFieldLimits(field: CronFieldName): { min: number; max: number } {
  const { min, max } = limits[field];
  return { min, max };
}

/** Values croner accepts that this checker does not model (L, W, #, ?): left to croner. */
const special = /[LW#?]/i;

function toNumber(field: CronFieldName, token: string): number | null {
  if (/^\d+$/.test(token)) return Number(token);
  const index = limits[field].names?.indexOf(token.toUpperCase()) ?? -1;
  if (index >= 0) return field === 'month' ? index + 1 : index;
  return null;
}

/** The first problem in one field's text, or null when it looks right. */
export function checkCronField(field: CronFieldName, text: string): CronFieldProblem | null {
  if (special.test(text)) return null;
  const { min, max } = limits[field];
  for (const item of text.split(',')) {
    const [base = '', step, extra] = item.split('/');
    if (extra !== undefined || base === '') return { reason: 'syntax', field, value: item };
    if (step !== undefined) {
      if (!/^\d+$/.test(step)) return { reason: 'syntax', field, value: item };
      if (Number(step) === 0 || Number(step) > max) return { reason: 'step', field, value: item, max };
    }
    if (base === '*') continue;
    const bounds = base.split('-');
    if (bounds.length > 2) return { reason: 'syntax', field, value: item };
    const numbers = bounds.map((bound) => toNumber(field, bound));
    for (const [index, value] of numbers.entries()) {
      if (value === null) return { reason: 'syntax', field, value: item };
      if (value < min || value > max) return { reason: 'outOfRange', field, value: bounds[index] ?? item, min, max };
    }
    if (numbers.length === 2 && (numbers[0] ?? 0) > (numbers[1] ?? 0)) return { reason: 'rangeOrder', field, value: base };
  }
  return null;
}
