import { PgferryError } from '../errors/pgferry-error.js';

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
  /** Extra tokens croner understands in this field (L, W, #, ?). */
  special?: RegExp;
}

const monthNames = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'] as const;
const dayNames = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] as const;

const second: FieldSpec = { name: 'second', min: 0, max: 59 };
const minute: FieldSpec = { name: 'minute', min: 0, max: 59 };
const hour: FieldSpec = { name: 'hour', min: 0, max: 23 };
const dayOfMonth: FieldSpec = { name: 'day of month', min: 1, max: 31, special: /^(\?|L|LW|L-\d{1,2}|\d{1,2}W)$/i };
const month: FieldSpec = { name: 'month', min: 1, max: 12, names: monthNames };
const dayOfWeek: FieldSpec = { name: 'day of week', min: 0, max: 7, names: dayNames, special: /^(\?|[0-7]L|[0-7]#[1-5]|[A-Z]{3}L|[A-Z]{3}#[1-5])$/i };

const fiveFields = [minute, hour, dayOfMonth, month, dayOfWeek];
const sixFields = [second, ...fiveFields];

export const cronNicknames = ['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@hourly'] as const;

function fail(expression: string, position: number, spec: FieldSpec, text: string, problem: string): never {
  throw new PgferryError(
    'PGF_CRON_INVALID',
    `cron "${expression}": field ${position} (${spec.name}) "${text}" ${problem}`,
    { details: { field: spec.name, position, value: text } },
  );
}

function parseValue(value: string, spec: FieldSpec): number | undefined {
  if (/^\d{1,2}$/.test(value)) return Number(value);
  const index = spec.names?.indexOf(value.toUpperCase() as never) ?? -1;
  if (index < 0) return undefined;
  return spec === month ? index + 1 : index;
}

function checkItem(expression: string, position: number, spec: FieldSpec, item: string): void {
  if (spec.special?.test(item)) return;
  const [base = '', step, extra] = item.split('/');
  if (extra !== undefined) fail(expression, position, spec, item, 'has more than one "/"');
  if (step !== undefined && (!/^\d{1,3}$/.test(step) || Number(step) < 1)) {
    fail(expression, position, spec, item, `has step "${step}"; a step must be a whole number ≥ 1`);
  }
  if (base === '*') return;
  const bounds = base.split('-');
  if (bounds.length > 2 || bounds.some((bound) => bound === '')) {
    fail(expression, position, spec, item, `is not a value, a range a-b, * or */n`);
  }
  const allowed = spec.names ? `${spec.min}–${spec.max} or ${spec.names[0]}–${spec.names.at(-1)}` : `${spec.min}–${spec.max}`;
  const values = bounds.map((bound) => {
    const value = parseValue(bound, spec);
    if (value === undefined) fail(expression, position, spec, item, `contains "${bound}", which is not a number (allowed: ${allowed})`);
    if (value < spec.min || value > spec.max) fail(expression, position, spec, item, `has ${value}, out of range ${allowed}`);
    return value;
  });
  if (values.length === 2 && (values[0] as number) > (values[1] as number)) {
    fail(expression, position, spec, item, 'is a range whose start is after its end');
  }
}

/**
 * Checks each field of a 5-field (minute first) or 6-field (second first) expression so the
 * message points at the field that is wrong; croner then checks the whole.
 */
export function checkCronFields(expression: string): { fields: 5 | 6 } | { nickname: string } {
  const trimmed = expression.trim();
  if (trimmed.startsWith('@')) {
    if ((cronNicknames as readonly string[]).includes(trimmed.toLowerCase())) return { nickname: trimmed.toLowerCase() };
    throw new PgferryError('PGF_CRON_INVALID', `cron "${expression}": unknown nickname; use one of ${cronNicknames.join(', ')}`, {
      details: { field: 'expression', position: 0, value: trimmed },
    });
  }
  const parts = trimmed.split(/\s+/).filter(Boolean);
  if (parts.length !== 5 && parts.length !== 6) {
    throw new PgferryError(
      'PGF_CRON_INVALID',
      `cron "${expression}" has ${parts.length} field${parts.length === 1 ? '' : 's'}; expected 5 (minute hour day-of-month month day-of-week) or 6 (second first)`,
      { details: { field: 'expression', position: 0, fields: parts.length } },
    );
  }
  const specs = parts.length === 6 ? sixFields : fiveFields;
  parts.forEach((part, index) => {
    const spec = specs[index] as FieldSpec;
    for (const item of part.split(',')) {
      if (item === '') fail(expression, index + 1, spec, part, 'has an empty list item');
      checkItem(expression, index + 1, spec, item);
    }
  });
  return { fields: parts.length as 5 | 6 };
}
