import pg from 'pg';
import { afterAll, afterEach, expect, inject } from 'vitest';

import { createdDatabases } from './database-registry.js';

interface Tracked {
  name: string;
  testName: string | undefined;
  close: () => Promise<void>;
}

const open = new Set<Tracked>();

/**
 * Registers something that must be closed (pool, server, child process). Returns the function
 * to call when it is closed. Anything still open when its test (or its file) ends fails it.
 */
export function trackResource(name: string, close: () => Promise<void>): () => void {
  const entry: Tracked = { name, testName: expect.getState().currentTestName, close };
  open.add(entry);
  return () => open.delete(entry);
}

async function closeLeaks(filter: (entry: Tracked) => boolean): Promise<string[]> {
  const leaked = [...open].filter(filter);
  for (const entry of leaked) {
    open.delete(entry);
    await entry.close().catch(() => undefined);
  }
  return leaked.map((entry) => entry.name);
}

afterEach(async () => {
  const testName = expect.getState().currentTestName;
  const leaked = await closeLeaks((entry) => entry.testName !== undefined && entry.testName === testName);
  if (leaked.length > 0) throw new Error(`the test leaked: ${leaked.join(', ')} (close them in the test or a finally)`);
});

afterAll(async () => {
  const leaked = await closeLeaks(() => true);
  await dropCreatedDatabases();
  if (leaked.length > 0) throw new Error(`the file leaked: ${leaked.join(', ')} (close them in afterAll)`);
});

/** Drops this file's throw-away databases (kept with PGFERRY_TEST_KEEP_DATABASES=1). */
async function dropCreatedDatabases(): Promise<void> {
  if (createdDatabases.size === 0 || process.env.PGFERRY_TEST_KEEP_DATABASES === '1') return;
  const client = new pg.Client({ connectionString: inject('pgServerUrl') });
  await client.connect();
  try {
    for (const name of createdDatabases) {
      await client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(name)} WITH (FORCE)`);
      createdDatabases.delete(name);
    }
  } finally {
    await client.end();
  }
}
