import pg from 'pg';

import { qualified } from '../../../src/engine/sql/quote-ident.js';
import { runSqlFile } from '../../../src/engine/sql/run-sql-file.js';
import type { HighWaterStore } from '../../../src/engine/types.js';
import { trackResource } from '../../helpers/leak-check.js';
import { createTestDatabase } from '../../helpers/test-database.js';

export interface DatabasePair {
  source: { name: string; url: string; config: pg.ClientConfig };
  destination: { name: string; url: string; config: pg.ClientConfig };
}

/** Two empty throw-away databases (dropped after the file). */
export async function createDatabasePair(): Promise<DatabasePair> {
  const source = await createTestDatabase({ migrated: false, prefix: 'pgferry_src' });
  const destination = await createTestDatabase({ migrated: false, prefix: 'pgferry_dst' });
  return {
    source: { ...source, config: { connectionString: source.url } },
    destination: { ...destination, config: { connectionString: destination.url } },
  };
}

/** Runs SQL on a database with a short-lived client. */
export async function sql<T extends pg.QueryResultRow = Record<string, unknown>>(url: string, text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  const release = trackResource(`client on ${url}`, () => client.end());
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    release();
    await client.end();
  }
}

export async function loadSqlFile(url: string, path: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  const release = trackResource(`client on ${url}`, () => client.end());
  await client.connect();
  try {
    await runSqlFile(client, path);
  } finally {
    release();
    await client.end();
  }
}

/**
 * Per table: row count and an order-independent multiset hash of the rows' text (with the
 * engine's session settings, so both sides render values the same way).
 */
export async function tableFingerprints(url: string, schemas: string[]): Promise<Record<string, string>> {
  const tables = await sql<{ schema: string; name: string }>(
    url,
    `SELECT n.nspname AS schema, c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = ANY($1) AND c.relkind = 'r' ORDER BY 1, 2`,
    [schemas],
  );
  const client = new pg.Client({ connectionString: url });
  const release = trackResource(`client on ${url}`, () => client.end());
  await client.connect();
  try {
    await client.query(`SET TimeZone = 'UTC'; SET DateStyle = 'ISO'; SET extra_float_digits = 3; SET IntervalStyle = 'postgres'`);
    const out: Record<string, string> = {};
    for (const t of tables) {
      const ident = qualified(t.schema, t.name);
      const row = (
        await client.query<{ n: string; h: string }>(
          `SELECT count(*)::text AS n, coalesce(sum(hashtextextended(x::text, 0)::numeric), 0)::text || '/' || coalesce(sum(hashtextextended(x::text, 7)::numeric), 0)::text AS h FROM ONLY ${ident} x`,
        )
      ).rows[0]!;
      out[`${t.schema}.${t.name}`] = `${row.n}:${row.h}`;
    }
    return out;
  } finally {
    release();
    await client.end();
  }
}

/** Structure of the given schemas as comparable JSON: columns, constraints, indexes, triggers, views, sequences, types, comments. */
export async function catalogSnapshot(url: string, schemas: string[]): Promise<Record<string, unknown[]>> {
  const q = (text: string) => sql(url, text, [schemas]);
  const run = async (text: string) => (await q(text)).map((row) => normaliseDefinition(JSON.stringify(row)));
  return {
    columns: await run(`SELECT n.nspname, c.relname, c.relkind, a.attnum, a.attname, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull,
        pg_get_expr(d.adbin, d.adrelid) AS def, a.attidentity, a.attgenerated, col_description(c.oid, a.attnum) AS comment
      FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      WHERE n.nspname = ANY($1) AND c.relkind IN ('r', 'p', 'v', 'm') AND a.attnum > 0 AND NOT a.attisdropped ORDER BY 1, 2, 4`),
    constraints: await run(`SELECT n.nspname, c.relname, k.conname, k.contype, pg_get_constraintdef(k.oid) AS def, k.convalidated
      FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = ANY($1) AND k.contype <> 'n' ORDER BY 1, 2, 3`),
    indexes: await run(`SELECT schemaname, tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = ANY($1) ORDER BY 1, 2, 3`),
    triggers: await run(`SELECT c.relname, t.tgname, pg_get_triggerdef(t.oid) AS def, t.tgenabled FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
      JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ANY($1) AND NOT t.tgisinternal ORDER BY 1, 2`),
    views: await run(`SELECT schemaname, viewname, definition FROM pg_views WHERE schemaname = ANY($1) ORDER BY 1, 2`),
    sequences: await run(`SELECT schemaname, sequencename, data_type::text, start_value, increment_by, max_value, last_value FROM pg_sequences WHERE schemaname = ANY($1) ORDER BY 1, 2`),
    types: await run(`SELECT n.nspname, t.typname, t.typtype, format_type(t.typbasetype, t.typtypmod) AS base,
        ARRAY(SELECT enumlabel::text FROM pg_enum WHERE enumtypid = t.oid ORDER BY enumsortorder) AS labels
      FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname = ANY($1) AND t.typtype IN ('e', 'd', 'c', 'r')
        AND (t.typtype <> 'c' OR (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c') ORDER BY 1, 2`),
    comments: await run(`SELECT n.nspname, c.relname, obj_description(c.oid, 'pg_class') AS comment FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = ANY($1) AND obj_description(c.oid, 'pg_class') IS NOT NULL ORDER BY 1, 2`),
    policies: await run(`SELECT schemaname, tablename, policyname, permissive, roles::text, cmd, qual, with_check FROM pg_policies WHERE schemaname = ANY($1) ORDER BY 1, 2, 3`),
    rowSecurity: await run(`SELECT n.nspname, c.relname, c.relrowsecurity, c.relforcerowsecurity FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = ANY($1) AND (c.relrowsecurity OR c.relforcerowsecurity) ORDER BY 1, 2`),
    functions: await run(`SELECT n.nspname, p.proname, pg_get_function_identity_arguments(p.oid) AS args FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
      WHERE n.nspname = ANY($1) ORDER BY 1, 2, 3`),
  };
}

/**
 * `varchar IN (…)` checks deparse differently after a reload (the casts move inside the
 * array) although they mean the same; both spellings are brought to one form.
 */
export function normaliseDefinition(text: string): string {
  return text
    .replace(/\('((?:[^']|'')*)'::character varying\)::text/g, "'$1'::character varying")
    .replace(/\(\(ARRAY\[([^\]]*)\]\)::text\[\]\)/g, '(ARRAY[$1])');
}

/** High-water marks kept in memory (the CLI's file and the store's table do the same). */
export function memoryHighWater(): HighWaterStore & { marks: Map<string, { cursor: string; value: string | null }> } {
  const marks = new Map<string, { cursor: string; value: string | null }>();
  return {
    marks,
    get: async (scope, table) => marks.get(`${scope}/${table}`),
    set: async (scope, table, cursor, value) => void marks.set(`${scope}/${table}`, { cursor, value }),
  };
}
