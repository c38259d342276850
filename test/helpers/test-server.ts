import os from 'node:os';
import path from 'node:path';

import pg from 'pg';

import { EmbeddedPostgres } from '../../src/store/embedded-postgres.js';

export interface TestServer {
  /** URL of the maintenance database (`postgres`) on the server tests use. */
  url: string;
  source: 'PGFERRY_TEST_DATABASE_URL' | '127.0.0.1:5432' | 'embedded';
  stop(): Promise<void>;
}

async function reachable(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 15000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** PGFERRY_TEST_DATABASE_URL, else 127.0.0.1:5432, else an embedded server in a temp dir. */
export async function findTestServer(): Promise<TestServer> {
  const fromEnv = process.env.PGFERRY_TEST_DATABASE_URL;
  if (fromEnv) {
    if (await reachable(fromEnv)) return { url: fromEnv, source: 'PGFERRY_TEST_DATABASE_URL', stop: async () => undefined };
    throw new Error(
      'PGFERRY_TEST_DATABASE_URL is set but the server does not answer; fix the URL or unset it to use 127.0.0.1:5432 or an embedded server',
    );
  }
  const local = 'postgres://postgres@127.0.0.1:5432/postgres';
  if (await reachable(local)) return { url: local, source: '127.0.0.1:5432', stop: async () => undefined };
  const embedded = new EmbeddedPostgres({ dataDir: path.join(os.tmpdir(), `pgferry-test-pg-${process.pid}`, 'pg'), port: 0 });
  try {
    await embedded.start();
  } catch (error) {
    throw new Error(
      `No PostgreSQL for the tests: PGFERRY_TEST_DATABASE_URL is unset, nothing answers on 127.0.0.1:5432 and the embedded server failed (${
        error instanceof Error ? error.message : String(error)
      }). Start a PostgreSQL (e.g. \`docker run -p 5432:5432 -e POSTGRES_HOST_AUTH_METHOD=trust postgres:17\`) or set PGFERRY_TEST_DATABASE_URL.`,
    );
  }
  return { url: embedded.connectionString('postgres'), source: 'embedded', stop: () => embedded.stop() };
}

export function databaseUrl(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${encodeURIComponent(database)}`;
  return url.toString();
}
