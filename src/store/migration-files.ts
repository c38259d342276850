import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

import type { Migration, MigrationProvider } from 'kysely';

import { packageRoot } from '../package-root.js';

export const migrationsDirectory = path.join(packageRoot, 'src', 'store', 'migrations');

/** `0001_initial_domain.ts`: a four-digit sequence, then a snake_case slug. */
export const migrationFilePattern = /^(\d{4})_([a-z0-9_]+)\.ts$/;

export async function listMigrationFiles(directory = migrationsDirectory): Promise<string[]> {
  const entries = await readdir(directory);
  return entries.filter((entry) => migrationFilePattern.test(entry)).sort();
}

let typeScriptLoaded: Promise<void> | undefined;

/**
 * Migrations stay TypeScript files (`db revision` writes new ones). Under tsx they import as
 * they are; the bundled CLI (a .js module) registers tsx first, only when it needs them.
 */
function loadTypeScript(): Promise<void> {
  typeScriptLoaded ??= import.meta.url.endsWith('.ts')
    ? Promise.resolve()
    : import('tsx/esm/api').then(({ register }) => {
        register();
      });
  return typeScriptLoaded;
}

/** Loads migrations from the folder; a migration's name is its file name without `.ts`. */
export class MigrationFolderProvider implements MigrationProvider {
  constructor(private readonly directory = migrationsDirectory) {}

  async getMigrations(): Promise<Record<string, Migration>> {
    const migrations: Record<string, Migration> = {};
    await loadTypeScript();
    for (const file of await listMigrationFiles(this.directory)) {
      const module = (await import(pathToFileURL(path.join(this.directory, file)).href)) as Migration;
      migrations[file.replace(/\.ts$/, '')] = module;
    }
    return migrations;
  }
}
