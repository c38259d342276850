import { execFile } from 'node:child_process';
import { readdir, access } from 'node:fs/promises';
import { constants } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

import { PgferryError } from '../../errors/pgferry-error.js';

const run = promisify(execFile);

export interface PgTool {
  name: string;
  path: string;
  version: string;
  major: number;
}

/** Directories searched: PATH, then every /usr/lib/postgresql/<major>/bin (Debian/Ubuntu layout). */
async function candidateDirs(extra: readonly string[]): Promise<string[]> {
  const dirs = [...extra, ...(process.env.PATH ?? '').split(path.delimiter).filter(Boolean)];
  const root = '/usr/lib/postgresql';
  const majors = await readdir(root).catch(() => [] as string[]);
  for (const major of majors) dirs.push(path.join(root, major, 'bin'));
  return [...new Set(dirs)];
}

async function probe(file: string, name: string): Promise<PgTool | undefined> {
  try {
    await access(file, constants.X_OK);
    const { stdout } = await run(file, ['--version'], { timeout: 10_000 });
    const match = /\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?/.exec(stdout);
    if (!match) return undefined;
    return { name, path: file, version: `${match[1]}${match[2] ? `.${match[2]}` : ''}`, major: Number(match[1]) };
  } catch {
    return undefined;
  }
}

export async function listPgTools(name: string, extraDirs: readonly string[] = []): Promise<PgTool[]> {
  const found: PgTool[] = [];
  const seen = new Set<string>();
  for (const dir of await candidateDirs(extraDirs)) {
    const tool = await probe(path.join(dir, name), name);
    if (tool && !seen.has(tool.path)) {
      seen.add(tool.path);
      found.push(tool);
    }
  }
  return found;
}

/** The newest `name` whose major is ≥ the server's (pg_dump refuses newer servers). */
export async function findPgTool(name: 'pg_dump' | 'pg_restore' | 'psql', serverVersionNum: number, extraDirs: readonly string[] = []): Promise<PgTool> {
  const serverMajor = Math.floor(serverVersionNum / 10000);
  const tools = await listPgTools(name, extraDirs);
  const fitting = tools.filter((tool) => tool.major >= serverMajor).sort((a, b) => b.major - a.major);
  const best = fitting[0];
  if (!best) {
    const seen = tools.length > 0 ? `found only ${tools.map((tool) => `${tool.path} (${tool.version})`).join(', ')}` : `found none on PATH or in /usr/lib/postgresql/*/bin`;
    throw new PgferryError(
      'PGF_PG_DUMP_NOT_FOUND',
      `the server runs PostgreSQL ${serverMajor} and ${name} must be version ${serverMajor} or newer; ${seen}: install the PostgreSQL ${serverMajor} client tools (e.g. \`apt-get install postgresql-client-${serverMajor}\`) or use --format native`,
      { details: { serverMajor, found: tools.map((tool) => tool.version) } },
    );
  }
  return best;
}

/** libpq environment for a child process: the password never appears in argv. */
export function libpqEnv(config: { host?: string | undefined; port?: number | undefined; user?: string | undefined; password?: unknown; database?: string | undefined; ssl?: unknown }): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of ['PGHOST', 'PGPORT', 'PGUSER', 'PGPASSWORD', 'PGDATABASE', 'PGSERVICE', 'PGOPTIONS', 'PGSSLMODE']) delete env[name];
  if (config.host) env.PGHOST = config.host;
  if (config.port) env.PGPORT = String(config.port);
  if (config.user) env.PGUSER = config.user;
  if (typeof config.password === 'string') env.PGPASSWORD = config.password;
  if (config.database) env.PGDATABASE = config.database;
  if (config.ssl === false || config.ssl === undefined) env.PGSSLMODE = 'prefer';
  else env.PGSSLMODE = 'require';
  return env;
}
