import { randomBytes } from 'node:crypto';

import pg from 'pg';
import { inject } from 'vitest';

import { type StoreHandle, createStoreDatabase } from '../../src/store/create-database.js';
import { createdDatabases } from './database-registry.js';
import { trackResource } from './leak-check.js';
import { databaseUrl } from './test-server.js';

export const serverUrl = (): string => inject('pgServerUrl');

/** Runs one statement on the maintenance database. */
export async function adminQuery(text: string, values: unknown[] = []): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: serverUrl() });
  await client.connect();
  try {
    return await client.query(text, values);
  } finally {
    await client.end();
  }
}

function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
}

/**
 * A fresh database for this test file, dropped after the file (kept when
 * PGFERRY_TEST_KEEP_DATABASES=1, for inspection). `migrated` clones the store template.
 */
export async function createTestDatabase(options: { migrated?: boolean; prefix?: string } = {}): Promise<{
  name: string;
  url: string;
}> {
  const name = uniqueName(options.prefix ?? 'pgferry_t');
  const template = options.migrated === false ? 'template0' : inject('pgTemplateDatabase');
  await adminQuery(`CREATE DATABASE ${name} TEMPLATE ${template}`);
  createdDatabases.add(name);
  return { name, url: databaseUrl(serverUrl(), name) };
}

/** A migrated store on a fresh database; tracked so a test that forgets to close it fails. */
export async function createTestStore(): Promise<StoreHandle & { url: string; name: string }> {
  const database = await createTestDatabase();
  const handle = createStoreDatabase({ connectionString: database.url, poolMax: 4 });
  const release = trackResource(`store pool on ${database.name}`, () => handle.close());
  return {
    ...handle,
    ...database,
    close: async () => {
      release();
      await handle.close();
    },
  };
}
