import { type Kysely, type MigrationResultSet, Migrator, NO_MIGRATIONS, sql } from 'kysely';

import { PgferryError } from '../errors/pgferry-error.js';
import { MigrationFolderProvider, migrationsDirectory } from './migration-files.js';
import { storeSchema } from './store-schema.js';
import type { StoreDatabase } from './store-types.js';

export interface MigrationState {
  name: string;
  executedAt: Date | null;
}

export interface SchemaStatus {
  /** Whether pgferry's migration table exists at all. */
  initialised: boolean;
  current: string | null;
  pending: string[];
  /** Applied migrations this code does not know (the store is newer than the code). */
  unknown: string[];
}

const migrationTable = 'kysely_migration';

/** Applies, reverts and reports the store's migrations; every step runs in its own transaction. */
export class StoreMigrator {
  readonly #db: Kysely<unknown>;
  readonly #migrator: Migrator;

  constructor(db: Kysely<StoreDatabase>, directory = migrationsDirectory) {
    this.#db = db as unknown as Kysely<unknown>;
    this.#migrator = new Migrator({
      db,
      provider: new MigrationFolderProvider(directory),
      migrationTableSchema: storeSchema,
      migrationTableName: migrationTable,
      migrationLockTableName: `${migrationTable}_lock`,
    });
  }

  /** Reads the state without creating anything (safe on an empty database). */
  async status(): Promise<SchemaStatus> {
    const known = await new MigrationFolderProvider().getMigrations();
    const knownNames = Object.keys(known).sort();
    const exists = await sql<{ exists: boolean }>`
      SELECT to_regclass(${`${storeSchema}.${migrationTable}`}) IS NOT NULL AS exists`.execute(this.#db);
    if (!exists.rows[0]?.exists) {
      return { initialised: false, current: null, pending: knownNames, unknown: [] };
    }
    const applied = await sql<{ name: string }>`
      SELECT name FROM ${sql.id(storeSchema, migrationTable)} ORDER BY name`.execute(this.#db);
    const appliedNames = applied.rows.map((row) => row.name);
    return {
      initialised: true,
      current: appliedNames.at(-1) ?? null,
      pending: knownNames.filter((name) => !appliedNames.includes(name)),
      unknown: appliedNames.filter((name) => !knownNames.includes(name)),
    };
  }

  async history(): Promise<MigrationState[]> {
    await this.#ensureSchema();
    const migrations = await this.#migrator.getMigrations();
    return migrations.map((migration) => ({ name: migration.name, executedAt: migration.executedAt ?? null }));
  }

  /** Migrates to the latest migration, or up to `target` inclusive. */
  async upgrade(target?: string): Promise<string[]> {
    await this.#ensureSchema();
    if (target !== undefined) await this.#assertKnown(target);
    const result = target === undefined ? await this.#migrator.migrateToLatest() : await this.#migrator.migrateTo(target);
    return this.#applied(result, 'Up');
  }

  /** Reverts one migration, or every migration after `target` (`base` reverts them all). */
  async downgrade(target?: string): Promise<string[]> {
    await this.#ensureSchema();
    let result: MigrationResultSet;
    if (target === undefined) {
      result = await this.#migrator.migrateDown();
    } else if (target === 'base') {
      result = await this.#migrator.migrateTo(NO_MIGRATIONS);
    } else {
      await this.#assertKnown(target);
      result = await this.#migrator.migrateTo(target);
    }
    return this.#applied(result, 'Down');
  }

  async #ensureSchema(): Promise<void> {
    await sql`CREATE SCHEMA IF NOT EXISTS ${sql.id(storeSchema)}`.execute(this.#db);
  }

  async #assertKnown(name: string): Promise<void> {
    const known = Object.keys(await new MigrationFolderProvider().getMigrations());
    if (!known.includes(name)) {
      throw new PgferryError(
        'PGF_MIGRATION_NOT_FOUND',
        `migration "${name}" does not exist; known migrations: ${known.join(', ')} (or "base" to revert all)`,
      );
    }
  }

  #applied(result: MigrationResultSet, direction: 'Up' | 'Down'): string[] {
    if (result.error !== undefined) {
      const failed = result.results?.find((item) => item.status === 'Error')?.migrationName ?? 'unknown';
      const reason = result.error instanceof Error ? result.error.message : String(result.error);
      throw new PgferryError(
        'PGF_MIGRATION_FAILED',
        `migration "${failed}" failed (${direction.toLowerCase()}) and was rolled back: ${reason}`,
        { cause: result.error, details: { migration: failed } },
      );
    }
    return (result.results ?? [])
      .filter((item) => item.status === 'Success' && item.direction === direction)
      .map((item) => item.migrationName);
  }
}
