import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';

import pg from 'pg';

import { connectionConfigFromUrl } from '../../src/engine/connection-config.js';
import { tableChecksum } from '../../src/engine/backup/table-checksum.js';
import { applySessionSettings } from '../../src/engine/sql/session-settings.js';
import { createdDatabases } from '../helpers/database-registry.js';
import { serverUrl } from '../helpers/test-database.js';
import { databaseUrl } from '../helpers/test-server.js';

const run = promisify(execFile);

export const fixturesDir = '/work/shared/fixtures';
export const northwind = '/work/shared/corpora/northwind.sql';

export async function loadSql(url: string, file: string, stopOnError = true): Promise<void> {
  await run('psql', [url, '-X', '-q', '-v', `ON_ERROR_STOP=${stopOnError ? 1 : 0}`, '-f', file], { maxBuffer: 64 * 1024 * 1024 });
}

/** A database name dropped after the test file (for restores with --create and drills). */
export function scratchName(prefix = 'pgferry_bk'): { name: string; url: string } {
  const name = `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  // Dropped after the file by the setup file (an afterAll registered inside a test is not run).
  createdDatabases.add(name);
  return { name, url: databaseUrl(serverUrl(), name) };
}

export function configOf(url: string): pg.ClientConfig {
  return connectionConfigFromUrl(url);
}

const normalize = (definition: string) => definition.replace(/::[a-z ]+(\[\])?/g, '').replace(/[()\s]/g, '');

/** Structure and content of a database, comparable between source and restore. */
export async function fingerprint(url: string, schemas: string[]): Promise<Record<string, unknown>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await applySessionSettings(client, 'source');
    const q = async (text: string) => (await client.query(text, [schemas])).rows;
    const columns = await q(`SELECT table_schema, table_name, column_name, data_type, is_nullable, column_default, is_identity, is_generated, generation_expression
      FROM information_schema.columns WHERE table_schema = ANY($1) ORDER BY 1, 2, ordinal_position`);
    // `varchar IN (…)` checks deparse differently after a reload (as with pg_dump | psql):
    // compare them without casts and parentheses.
    const constraints = (await q(`SELECT n.nspname, c.conrelid::regclass::text AS rel, c.conname, pg_get_constraintdef(c.oid) AS def, c.convalidated, c.condeferrable
      FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = ANY($1) ORDER BY 1, 2, 3`)).map((row) => ({
      ...row,
      def: normalize(String(row.def)),
    }));
    const indexes = (await q(`SELECT schemaname, tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = ANY($1) ORDER BY 1, 2, 3`)).map(
      (row) => ({ ...row, indexdef: normalize(String(row.indexdef)) }),
    );
    const triggers = await q(`SELECT t.tgrelid::regclass::text AS rel, t.tgname, t.tgenabled, pg_get_triggerdef(t.oid) AS def FROM pg_trigger t
      JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE NOT t.tgisinternal AND n.nspname = ANY($1) ORDER BY 1, 2`);
    const sequences = await q(`SELECT schemaname, sequencename, last_value FROM pg_sequences WHERE schemaname = ANY($1) ORDER BY 1, 2`);
    const views = await q(`SELECT schemaname, viewname, definition FROM pg_views WHERE schemaname = ANY($1) ORDER BY 1, 2`);
    const tables = (await q(`SELECT n.nspname AS schema, c.relname AS name, array_agg(a.attname::text ORDER BY a.attnum) FILTER (WHERE a.attgenerated = '') AS columns
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
      WHERE c.relkind = 'r' AND n.nspname = ANY($1) GROUP BY 1, 2 ORDER BY 1, 2`)) as { schema: string; name: string; columns: string[] }[];
    const checksums: Record<string, string> = {};
    for (const table of tables) checksums[`${table.schema}.${table.name}`] = await tableChecksum(client, table);
    return { columns, constraints, indexes, triggers, sequences, views, checksums };
  } finally {
    await client.end();
  }
}
