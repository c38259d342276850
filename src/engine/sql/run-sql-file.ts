import { readFile } from 'node:fs/promises';

import type pg from 'pg';

/**
 * Runs a plain SQL file (no psql meta-commands) through the simple query protocol, as one
 * multi-statement string, so loading needs only Node.js. The file manages its own
 * transaction (the fixtures wrap themselves in BEGIN … COMMIT).
 */
export async function runSqlFile(client: pg.Client, path: string): Promise<void> {
  const text = await readFile(path, 'utf8');
  await client.query(text);
}
