import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

import pg from 'pg';
import { expect } from 'vitest';

import { schemaDiffLines } from '../../../src/cli/commands/schema-diff-output.js';
import { connectionConfigFromUrl } from '../../../src/engine/connection-config.js';
import { compareTables } from '../../../src/engine/diff/diff-tables.js';
import { unifiedDiff } from '../../../src/engine/diff/line-diff.js';
import { type SchemaDiffOptions, diffSchemas } from '../../../src/engine/diff/schema-diff.js';

const run = promisify(execFile);

/** Lines pg_dump prints that say nothing about the schema (or differ per database/run). */
const noise = (line: string) =>
  line.trim() === '' || line.startsWith('--') || line.startsWith('SET ') || line.includes('pg_catalog.set_config') || /^\\(un)?restrict\b/.test(line);

/** `pg_dump --schema-only --no-owner --no-privileges`, without comments, blank lines and settings. */
export async function normalizedSchemaDump(url: string, extraArgs: readonly string[] = []): Promise<string> {
  const { stdout } = await run('pg_dump', ['--schema-only', '--no-owner', '--no-privileges', ...extraArgs, url], { maxBuffer: 256 * 1024 * 1024 });
  return stdout
    .split('\n')
    .filter((line) => !noise(line))
    .join('\n');
}

export interface SameSchemaOptions extends SchemaDiffOptions {
  /** Also compare owners and ACLs in `diff --schema` (default: ignored, like the pg_dump side). */
  withOwnersAndPrivileges?: boolean;
}

/**
 * Asserts two databases have the same schema, twice over: pgferry's own `diff --schema`
 * (every object of the schema graph, by key and definition — this also sees what
 * `--no-privileges` hides, such as default privileges) and pg_dump's text of both.
 */
export async function expectSameSchema(sourceUrl: string, destinationUrl: string, options: SameSchemaOptions = {}): Promise<void> {
  const ignore = options.withOwnersAndPrivileges !== true;
  const [diff, sourceDump, destinationDump] = await Promise.all([
    diffSchemas(connectionConfigFromUrl(sourceUrl), connectionConfigFromUrl(destinationUrl), {
      schemas: options.schemas,
      ignoreOwners: options.ignoreOwners ?? ignore,
      ignorePrivileges: options.ignorePrivileges ?? ignore,
    }),
    normalizedSchemaDump(sourceUrl),
    normalizedSchemaDump(destinationUrl),
  ]);
  // Both findings in one failure: each check sees things the other does not.
  const failures: string[] = [];
  if (!diff.equal) failures.push(`diff --schema found differences:\n${schemaDiffLines(diff).join('\n')}`);
  if (sourceDump !== destinationDump) {
    failures.push(`pg_dump --schema-only differs:\n${unifiedDiff(sourceDump, destinationDump, { before: 'source', after: 'destination' }).join('\n')}`);
  }
  if (failures.length > 0) expect.fail(failures.join('\n\n'));
}

async function query<T extends Record<string, unknown>>(url: string, text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text)).rows;
  } finally {
    await client.end();
  }
}

// Each large object by its data's md5 (in OID order), and each sequence's position.
const largeObjectsQuery = `SELECT m.oid::text AS oid, md5(pg_catalog.lo_get(m.oid)) AS md5 FROM pg_catalog.pg_largeobject_metadata m ORDER BY m.oid`;
const sequencesQuery = `SELECT schemaname || '.' || sequencename AS name, last_value::text AS last_value FROM pg_catalog.pg_sequences
  WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1`;

/**
 * Asserts every table of the source has the same rows on the destination (server-side
 * checksums, `pgferry diff`'s engine), and the same large objects and sequence positions.
 */
export async function expectSameRows(sourceUrl: string, destinationUrl: string, options: { schemas?: string[]; sequences?: boolean } = {}): Promise<void> {
  const summary = await compareTables(connectionConfigFromUrl(sourceUrl), connectionConfigFromUrl(destinationUrl), { schemas: options.schemas });
  const unequal = summary.tables
    .filter((table) => table.status !== 'equal')
    .map((table) => `${table.schema}.${table.name}: ${table.status}${table.reason ? ` (${table.reason})` : ''}${table.rows.length > 0 ? ` ${JSON.stringify(table.rows.slice(0, 5))}` : ''}`);
  if (unequal.length > 0) expect.fail(`rows differ:\n${unequal.join('\n')}`);
  const [sourceObjects, destinationObjects] = await Promise.all([query(sourceUrl, largeObjectsQuery), query(destinationUrl, largeObjectsQuery)]);
  expect(destinationObjects, 'large objects (oid, md5 of data)').toEqual(sourceObjects);
  if (options.sequences !== false) {
    const [sourceSequences, destinationSequences] = await Promise.all([query(sourceUrl, sequencesQuery), query(destinationUrl, sequencesQuery)]);
    expect(destinationSequences, 'sequence positions').toEqual(sourceSequences);
  }
}
