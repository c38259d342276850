import { readFile } from 'node:fs/promises';

import YAML from 'yaml';

import { PgferryError } from '../../errors/pgferry-error.js';
import type { ColumnRule } from '../types.js';
import { type RuleStrategy, parseRuleText, ruleAliases } from './rule-grammar.js';

function strategyOf(name: string, match: string): RuleStrategy {
  const parsed = parseRuleText(name);
  if (!parsed.ok && parsed.problem === 'unknown') throw new PgferryError('PGF_RULES_INVALID', `rule "${match}": ${parsed.message}`);
  return parsed.ok ? parsed.strategy : ((ruleAliases[name] ?? name) as RuleStrategy);
}

/**
 * Parses rules in pgsync's shape, first match wins in file order:
 * ```yaml
 * rules:                       # or data_rules:
 *   email: unique_email
 *   users.auth_token: { value: secret }
 *   "*.phone": unique_phone
 *   visits: { statement: "(random() * 10)::int" }
 *   notes: { strategy: truncate, length: 20 }
 *   age: { strategy: random_int, min: 18, max: 90 }
 *   encrypted_*: null          # YAML null: the column becomes NULL (pgsync's own example)
 *   users.public_note: untouched  # kept as it is, even when a later rule matches it
 * key: some-secret             # optional key for hash-based strategies
 * ```
 * A string rule follows the shared grammar (rule-grammar.ts), as in the job form.
 */
export function parseRules(text: string): { rules: ColumnRule[]; key?: string } {
  let document: unknown;
  try {
    document = YAML.parse(text);
  } catch (error) {
    throw new PgferryError('PGF_RULES_INVALID', `the rules file is not valid YAML: ${(error as Error).message}`);
  }
  const root = (document ?? {}) as Record<string, unknown>;
  const map = (root.rules ?? root.data_rules ?? {}) as Record<string, unknown>;
  if (typeof map !== 'object' || Array.isArray(map)) throw new PgferryError('PGF_RULES_INVALID', 'the rules file needs a "rules:" mapping of column → strategy');
  const rules: ColumnRule[] = Object.entries(map).map(([match, spec]) => {
    if (spec === null) return { match, strategy: 'null' };
    if (typeof spec === 'string') {
      const parsed = parseRuleText(spec);
      if (!parsed.ok) throw new PgferryError('PGF_RULES_INVALID', `rule "${match}": ${parsed.message}`);
      return { match, strategy: parsed.strategy, argument: parsed.argument };
    }
    if (typeof spec !== 'object') throw new PgferryError('PGF_RULES_INVALID', `rule "${match}" must be a strategy name, null or a mapping`);
    const entry = spec as Record<string, unknown>;
    if ('value' in entry && entry.strategy === undefined) return { match, strategy: 'value', argument: String(entry.value) };
    if ('statement' in entry || 'sql' in entry) return { match, strategy: 'sql', argument: String(entry.statement ?? entry.sql) };
    const strategy = strategyOf(String(entry.strategy ?? ''), match);
    const argument =
      strategy === 'random_int' && (entry.min !== undefined || entry.max !== undefined)
        ? `${Number(entry.min ?? 1)},${Number(entry.max ?? 100)}`
        : entry.length !== undefined
          ? String(entry.length)
          : entry.value !== undefined
            ? String(entry.value)
            : undefined;
    return { match, strategy, argument };
  });
  const key = typeof root.key === 'string' ? root.key : undefined;
  return key === undefined ? { rules } : { rules, key };
}

export async function readRulesFile(path: string): Promise<{ rules: ColumnRule[]; key?: string }> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new PgferryError('PGF_RULES_INVALID', `cannot read the rules file ${path}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  return parseRules(text);
}
