import path from 'node:path';

import pg from 'pg';

import type { Config } from '../config/config-schema.js';
import { quoteIdent } from '../engine/sql/quote-ident.js';
import { PgferryError } from '../errors/pgferry-error.js';
import type { Logger } from '../logger.js';
import { type StoreHandle, createStoreDatabase } from './create-database.js';
import { EmbeddedPostgres } from './embedded-postgres.js';
import { StoreMigrator } from './store-migrator.js';

export interface OpenStoreOptions {
  config: Config;
  logger?: Logger;
  /** What to do about the schema: migrate (serve/worker in auto mode), check, or nothing (db commands). */
  schema: 'migrate' | 'check' | 'none';
}

export interface OpenedStore extends StoreHandle {
  /** The store's URL; for the embedded server this includes its generated password. */
  connectionString: string;
  embedded: EmbeddedPostgres | undefined;
  migrator: StoreMigrator;
}

const embeddedDatabase = 'pgferry';

/** Connects to DATABASE_URL, or starts the embedded PostgreSQL, and brings the schema in line. */
export async function openStore(options: OpenStoreOptions): Promise<OpenedStore> {
  const { config, logger } = options;
  let embedded: EmbeddedPostgres | undefined;
  let connectionString = config.DATABASE_URL;
  if (connectionString === undefined) {
    embedded = new EmbeddedPostgres({
      dataDir: path.join(config.PGFERRY_HOME, 'pg'),
      port: config.PGFERRY_EMBEDDED_PORT,
      ...(logger ? { logger } : {}),
    });
    await embedded.start();
    await ensureDatabase(embedded.connectionString('postgres'), embeddedDatabase);
    connectionString = embedded.connectionString(embeddedDatabase);
  }
  const handle = createStoreDatabase({
    connectionString,
    poolMax: config.PGFERRY_DB_POOL_MAX,
    connectTimeoutMs: config.PGFERRY_DB_CONNECT_TIMEOUT_MS,
  });
  const migrator = new StoreMigrator(handle.db);
  const close = async () => {
    await handle.close();
    await embedded?.stop();
  };
  try {
    if (options.schema === 'migrate') {
      const applied = await migrator.upgrade();
      if (applied.length > 0) logger?.info({ migrations: applied }, 'store migrated');
    } else if (options.schema === 'check') {
      await assertSchemaCurrent(migrator);
    }
  } catch (error) {
    await close();
    throw translateStoreError(error);
  }
  return { ...handle, close, connectionString, embedded, migrator };
}

export async function assertSchemaCurrent(migrator: StoreMigrator): Promise<void> {
  const status = await migrator.status();
  if (!status.initialised || status.pending.length > 0) {
    const state = status.initialised
      ? `is at ${status.current ?? 'no migration'} with ${status.pending.length} pending (${status.pending.join(', ')})`
      : 'is empty (no pgferry schema)';
    throw new PgferryError(
      'PGF_SCHEMA_NOT_CURRENT',
      `the metadata store ${state}; PGFERRY_SCHEMA_MODE=migrations does not migrate at start: run \`pgferry db upgrade\` first`,
      { details: { pending: status.pending, current: status.current } },
    );
  }
  if (status.unknown.length > 0) {
    throw new PgferryError(
      'PGF_SCHEMA_NOT_CURRENT',
      `the metadata store has migrations this pgferry does not know (${status.unknown.join(', ')}); it was upgraded by a newer pgferry: upgrade this one, or run \`pgferry db downgrade\` from the newer one`,
      { details: { unknown: status.unknown } },
    );
  }
}

async function ensureDatabase(maintenanceUrl: string, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: maintenanceUrl });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (found.rowCount === 0) await client.query(`CREATE DATABASE ${quoteIdent(database)}`);
  } finally {
    await client.end();
  }
}

/** Connection failures become one message that names the target without its password. */
export function translateStoreError(error: unknown): unknown {
  if (error instanceof PgferryError) return error;
  const code = (error as { code?: string }).code;
  const networkCodes = ['ECONNREFUSED', 'ENOTFOUND', 'ETIMEDOUT', 'EHOSTUNREACH', 'ECONNRESET', '28P01', '28000', '3D000', '57P03'];
  const message = error instanceof Error ? error.message : String(error);
  if ((code !== undefined && networkCodes.includes(code)) || /timeout|terminated|connect/i.test(message)) {
    return new PgferryError(
      'PGF_STORE_UNREACHABLE',
      `cannot reach the metadata store (${code ?? 'error'}: ${message}); check DATABASE_URL and that the server accepts connections`,
      { cause: error },
    );
  }
  return error;
}
