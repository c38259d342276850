import picomatch from 'picomatch';

import { PgferryError } from '../../errors/pgferry-error.js';
import type { CatalogColumn } from '../schema/schema-types.js';
import { type QualifiedName, quoteIdent } from '../sql/quote-ident.js';
import type { ColumnRule } from '../types.js';
import type { QueryParams } from './query-params.js';

/** Default key for hash-based rules; set `ruleKey` so outsiders cannot recompute hashes. */
export const defaultRuleKey = 'pgferry-default-rule-key';

/** `column`, `table.column` or `schema.table.column`, each part a glob; first match wins. Pure. */
export function findRule(rules: readonly ColumnRule[], table: QualifiedName, column: string): ColumnRule | undefined {
  for (const rule of rules) {
    const parts = rule.match.split('.');
    const subject =
      parts.length === 1 ? column : parts.length === 2 ? `${table.name}.${column}` : `${table.schema}.${table.name}.${column}`;
    if (picomatch.isMatch(subject, rule.match, { dot: true })) return rule;
  }
  return undefined;
}

function maxLength(type: string): number | undefined {
  const match = /^(?:character varying|character|varchar|char|bpchar)\((\d+)\)/.exec(type);
  return match ? Number(match[1]) : undefined;
}

function fit(expression: string, column: CatalogColumn): string {
  const limit = maxLength(column.type);
  return limit === undefined ? expression : `left(${expression}, ${limit})`;
}

function invalid(rule: ColumnRule, column: CatalogColumn, why: string): PgferryError {
  return new PgferryError('PGF_RULES_INVALID', `rule "${rule.match}: ${rule.strategy}" cannot apply to column "${column.name}" (${column.type}): ${why}`);
}

/**
 * The SQL expression that replaces `column` in the source SELECT, cast back to the column's
 * type. Deterministic strategies keep NULLs NULL; hashes are keyed with `key` (bound).
 */
export function ruleExpression(rule: ColumnRule, column: CatalogColumn, params: QueryParams, key: string): string {
  const col = quoteIdent(column.name);
  const hashed = () => `md5(${params.bind(key)} || ${col}::text)`;
  const textual = column.category === 'S';
  const keepNull = (expression: string) => `CASE WHEN ${col} IS NULL THEN NULL ELSE ${expression} END`;
  let expression: string;
  switch (rule.strategy) {
    case 'null':
      expression = 'NULL';
      break;
    case 'untouched':
      return col;
    case 'value':
      if (rule.argument === undefined) throw invalid(rule, column, 'value needs a value');
      expression = params.bind(rule.argument);
      break;
    case 'hash':
      if (textual) expression = keepNull(fit(hashed(), column));
      else if (column.category === 'N') expression = keepNull(`(('x' || left(${hashed()}, 7))::bit(28)::int)`);
      else if (column.type === 'uuid') expression = keepNull(`${hashed()}::uuid`);
      else throw invalid(rule, column, 'hash works on text, numeric and uuid columns');
      break;
    case 'unique_email':
      expression = keepNull(fit(`'user_' || left(${hashed()}, 16) || '@example.com'`, column));
      break;
    case 'unique_phone':
      expression = keepNull(fit(`'+1-555-' || lpad(((('x' || left(${hashed()}, 7))::bit(28)::int) % 10000000)::text, 7, '0')`, column));
      break;
    case 'unique_secret':
      expression = keepNull(fit(`'secret_' || ${hashed()}`, column));
      break;
    case 'name':
      expression = keepNull(fit(`'Name ' || upper(left(${hashed()}, 8))`, column));
      break;
    case 'random_int': {
      const [min, max] = (rule.argument ?? '1,100').split(',').map((part) => Number(part.trim()));
      if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max) || (min as number) > (max as number)) {
        throw invalid(rule, column, 'random_int takes "min,max" integers');
      }
      expression = `floor(random() * ${(max as number) - (min as number) + 1} + ${min})`;
      break;
    }
    case 'random_date':
      expression = `date '1970-01-01' + floor(random() * 20000)::int`;
      break;
    case 'random_ip':
      expression = `('10.' || floor(random() * 256)::int || '.' || floor(random() * 256)::int || '.' || (1 + floor(random() * 254)::int))::inet`;
      break;
    case 'sql':
      if (!rule.argument) throw invalid(rule, column, 'sql needs an expression');
      expression = `(${rule.argument})`;
      break;
    case 'truncate': {
      const length = Number(rule.argument);
      if (!Number.isSafeInteger(length) || length < 0) throw invalid(rule, column, 'truncate takes a length');
      expression = `left(${col}::text, ${length})`;
      break;
    }
  }
  return `(${expression})::${column.type}`;
}
