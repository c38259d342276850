import pg from 'pg';

import { connectionConfigFromUrl } from '../../../src/engine/connection-config.js';
import { createTestDatabase } from '../../helpers/test-database.js';

/** Runs SQL (several statements allowed) on a database and closes the connection. */
export async function runSql(url: string, text: string): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(text);
  } finally {
    await client.end();
  }
}

/** Two fresh databases loaded with the same SQL: a source and a destination to compare. */
export async function createDatabasePair(setup: string): Promise<{
  sourceUrl: string;
  destinationUrl: string;
  source: pg.ClientConfig;
  destination: pg.ClientConfig;
}> {
  const [a, b] = await Promise.all([
    createTestDatabase({ migrated: false, prefix: 'pgferry_diff_src' }),
    createTestDatabase({ migrated: false, prefix: 'pgferry_diff_dst' }),
  ]);
  await Promise.all([runSql(a.url, setup), runSql(b.url, setup)]);
  return { sourceUrl: a.url, destinationUrl: b.url, source: connectionConfigFromUrl(a.url), destination: connectionConfigFromUrl(b.url) };
}
