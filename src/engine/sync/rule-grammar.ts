// One grammar for column rules, shared by the engine, the API's job schema, the CLI's rules
// file and the web UI's rule editor. No imports: the web bundle includes this file as it is.

/** What a rule does to a column (`untouched` keeps it, as in pgsync: an exception to a broader rule). */
export const ruleStrategies = [
  'null',
  'untouched',
  'value',
  'hash',
  'unique_email',
  'unique_phone',
  'unique_secret',
  'name',
  'random_int',
  'random_date',
  'random_ip',
  'sql',
  'truncate',
] as const;
export type RuleStrategy = (typeof ruleStrategies)[number];

/** Other names users write for a strategy: the job form's short ones and pgsync's. */
export const ruleAliases: Readonly<Record<string, RuleStrategy>> = {
  email: 'unique_email',
  phone: 'unique_phone',
  secret: 'unique_secret',
  random_number: 'random_int',
  statement: 'sql',
};

type ArgumentKind = 'none' | 'required' | 'optional';

/** Whether a strategy takes the part after `name:`, and how that part must look. */
const argumentRules: Record<RuleStrategy, { kind: ArgumentKind; check?: (argument: string) => string | undefined }> = {
  null: { kind: 'none' },
  untouched: { kind: 'none' },
  value: { kind: 'required' },
  hash: { kind: 'none' },
  unique_email: { kind: 'none' },
  unique_phone: { kind: 'none' },
  unique_secret: { kind: 'none' },
  name: { kind: 'none' },
  random_int: {
    kind: 'optional',
    check: (argument) => {
      const match = /^\s*(-?\d+)\s*,\s*(-?\d+)\s*$/.exec(argument);
      if (!match) return 'random_int takes "min,max" integers, e.g. random_int:18,90';
      return Number(match[1]) > Number(match[2]) ? 'random_int needs min ≤ max' : undefined;
    },
  },
  random_date: { kind: 'none' },
  random_ip: { kind: 'none' },
  sql: { kind: 'required' },
  truncate: { kind: 'required', check: (argument) => (/^\s*\d+\s*$/.test(argument) ? undefined : 'truncate takes a length, e.g. truncate:20') },
};

/** The rules as users write them, for help texts and messages. */
export const ruleSyntax = 'null, untouched, value:<v>, hash, email, phone, secret, name, random_int[:min,max], random_date, random_ip, truncate:<n>, sql:<expression>';

export type ParsedRule = { ok: true; strategy: RuleStrategy; argument: string | undefined } | { ok: false; problem: 'unknown' | 'argument'; message: string };

/**
 * Parses `name` or `name:argument` (the argument is everything after the first colon, kept as
 * written for value and sql). Pure; callers turn a problem into their own error.
 */
export function parseRuleText(text: string): ParsedRule {
  const colon = text.indexOf(':');
  const name = (colon < 0 ? text : text.slice(0, colon)).trim();
  const argument = colon < 0 ? undefined : text.slice(colon + 1);
  const strategy = (ruleAliases[name] ?? name) as RuleStrategy;
  const spec = argumentRules[strategy];
  if (!(ruleStrategies as readonly string[]).includes(strategy) || spec === undefined) {
    return { ok: false, problem: 'unknown', message: `unknown rule "${name}"; use one of ${ruleSyntax}` };
  }
  if (spec.kind === 'none' && argument !== undefined) return { ok: false, problem: 'argument', message: `rule "${name}" takes no value after the colon` };
  if (spec.kind === 'required' && (argument === undefined || argument.trim() === '')) {
    return { ok: false, problem: 'argument', message: `rule "${name}" needs a value after the colon, e.g. ${name}:…` };
  }
  const problem = argument !== undefined ? spec.check?.(argument) : undefined;
  if (problem) return { ok: false, problem: 'argument', message: problem };
  return { ok: true, strategy, argument: strategy === 'value' || strategy === 'sql' ? argument : argument?.trim() };
}
