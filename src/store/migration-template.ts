import { writeFile } from 'node:fs/promises';
import path from 'node:path';

import { PgferryError } from '../errors/pgferry-error.js';
import { listMigrationFiles, migrationFilePattern, migrationsDirectory } from './migration-files.js';

export function migrationSlug(message: string): string {
  return message
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 60);
}

export function migrationSource(message: string): string {
  return `import { type Kysely, sql } from 'kysely';

// ${message.replace(/\n/g, ' ')}
// Once released, never edit this file: add a new migration instead.

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql\`
  \`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql\`
  \`.execute(db);
}
`;
}

/** Writes the next numbered migration file and returns its path. */
export async function writeMigrationRevision(message: string, directory = migrationsDirectory): Promise<string> {
  const slug = migrationSlug(message);
  if (slug === '') {
    throw new PgferryError('PGF_VALIDATION_FAILED', 'the migration message must contain letters or digits, e.g. -m "add run tags"');
  }
  const files = await listMigrationFiles(directory);
  const last = files.at(-1)?.match(migrationFilePattern)?.[1] ?? '0000';
  const next = String(Number(last) + 1).padStart(4, '0');
  const file = path.join(directory, `${next}_${slug}.ts`);
  await writeFile(file, migrationSource(message), { flag: 'wx' });
  return file;
}
