import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';

import type { StoreDatabase } from './store-types.js';
import { storeSchema } from './store-schema.js';

export interface CreateStoreDatabaseOptions {
  connectionString: string;
  poolMax?: number;
  connectTimeoutMs?: number;
  applicationName?: string;
}

export interface StoreHandle {
  db: Kysely<StoreDatabase>;
  pool: pg.Pool;
  close(): Promise<void>;
}

/** One pool per process for the metadata store; every session resolves names in `pgferry`. */
export function createStoreDatabase(options: CreateStoreDatabaseOptions): StoreHandle {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.poolMax ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10000,
    application_name: options.applicationName ?? 'pgferry',
  });
  // A pool error (a server restart, say) must not crash the process; the next query reports it.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => {
    // A connection lost while checked out must fail its query, not crash the process.
    client.on('error', () => undefined);
    client.query(`SET search_path TO ${storeSchema}`).catch(() => undefined);
  });
  const db = new Kysely<StoreDatabase>({ dialect: new PostgresDialect({ pool }) });
  let closed = false;
  return {
    db,
    pool,
    async close() {
      if (closed) return;
      closed = true;
      await db.destroy();
    },
  };
}
