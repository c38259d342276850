import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

import { parse as parseDotenv } from 'dotenv';

import { PgferryError } from '../errors/pgferry-error.js';
import { type Config, configSchema, secretVariables } from './config-schema.js';

export interface LoadConfigOptions {
  env?: NodeJS.ProcessEnv;
  /** Directory whose `.env` is read; process variables win over it (default: cwd). */
  cwd?: string;
  /** Values from command-line flags; they win over everything. */
  overrides?: Record<string, string | undefined>;
}

/** Resolves the configuration once: flags > environment > `.env` > defaults. */
export function loadConfig(options: LoadConfigOptions = {}): Config {
  const cwd = options.cwd ?? process.cwd();
  const dotenvPath = path.join(cwd, '.env');
  const fromFile = existsSync(dotenvPath) ? parseDotenv(readFileSync(dotenvPath)) : {};
  const merged: Record<string, string | undefined> = { ...fromFile };
  for (const [key, value] of Object.entries(options.env ?? process.env)) {
    if (value !== undefined && value !== '') merged[key] = value;
  }
  for (const [key, value] of Object.entries(options.overrides ?? {})) {
    if (value !== undefined) merged[key] = value;
  }
  const shape = configSchema.shape;
  const relevant = Object.fromEntries(Object.keys(shape).map((key) => [key, merged[key]]));

  const result = configSchema.safeParse(relevant);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? '(root)');
      const raw = relevant[name];
      const shown = raw === undefined || secretVariables.has(name) ? '' : ` (got ${JSON.stringify(raw)})`;
      return { variable: name, message: `${name}: ${issue.message}${shown}` };
    });
    const lines = problems.map((problem) => `  - ${problem.message}`).join('\n');
    throw new PgferryError(
      'PGF_CONFIG_INVALID',
      `Invalid configuration: ${problems.length} variable${problems.length === 1 ? '' : 's'} to fix (environment or .env):\n${lines}`,
      { details: { variables: problems.map((problem) => problem.variable) } },
    );
  }
  return Object.freeze({ ...result.data, PGFERRY_HOME: path.resolve(cwd, result.data.PGFERRY_HOME) });
}
