import { rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import type { TestProject } from 'vitest/node';

import pg from 'pg';

import { createStoreDatabase } from '../../src/store/create-database.js';
import { StoreMigrator } from '../../src/store/store-migrator.js';
import { databaseUrl, findTestServer } from './test-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    pgServerUrl: string;
    pgTemplateDatabase: string;
    /** Unique per `vitest run`: keys work done once per run (the web build of the browser tests). */
    testRunId: string;
  }
}

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Finds a server once and builds a migrated template that each test file clones. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await findTestServer();
  const template = `pgferry_test_template_${process.pid}`;
  const admin = new pg.Client({ connectionString: server.url });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${template}`);
  await admin.query(`CREATE DATABASE ${template}`);
  const store = createStoreDatabase({ connectionString: databaseUrl(server.url, template), poolMax: 2 });
  try {
    await new StoreMigrator(store.db).upgrade();
  } finally {
    await store.close();
  }
  project.provide('pgServerUrl', server.url);
  project.provide('pgTemplateDatabase', template);
  const runId = `${process.pid}-${Date.now()}`;
  project.provide('testRunId', runId);
  console.log(`tests use PostgreSQL from ${server.source}; template database ${template}`);
  return async () => {
    await admin.query(`DROP DATABASE IF EXISTS ${template} WITH (FORCE)`);
    await admin.end();
    await server.stop();
    rmSync(path.join(repoRoot, 'node_modules/.cache/pgferry-web-build', runId), { recursive: true, force: true });
  };
}
