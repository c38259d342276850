import type pg from 'pg';

import { PgferryError } from '../../errors/pgferry-error.js';
import type { DdlStatement } from '../schema/generate-ddl.js';
import { displayName, qualified, quoteIdent } from '../sql/quote-ident.js';
import type { MissingObject } from '../types.js';
import type { DroppedForeignKey, SequencePlan, SyncPlan } from './sync-plan-types.js';
import { safeServerReason } from '../sql/safe-server-reason.js';

/**
 * Extensions one by one (a missing privilege is a warning), then schemas, types, functions,
 * sequences, tables and added columns in ONE transaction: either all exist afterwards or
 * none do, and the message names the object that failed.
 */
/**
 * The object came into existence between planning and creating: two runs (or a person)
 * creating the same table at once. PostgreSQL reports it as a duplicate, or as a unique
 * violation of a catalog index when both transactions insert the same name.
 */
function createdMeanwhile(error: unknown): boolean {
  const e = error as { code?: string; constraint?: string };
  if (e.code === '42P07' || e.code === '42710' || e.code === '42P06') return true;
  return e.code === '23505' && /^pg_[a-z_]+_nsp_index$|^pg_namespace_nspname_index$/.test(e.constraint ?? '');
}

export async function applyPreData(client: pg.Client, plan: SyncPlan, missing: MissingObject[]): Promise<string[]> {
  const warnings: string[] = [];
  for (const statement of plan.extensions) {
    try {
      await client.query(statement.sql);
    } catch (error) {
      missing.push({ object: statement.object, reason: `${(error as Error).message} (objects that use it will fail)` });
    }
  }
  const statements = [...plan.preData, ...plan.tables.filter((t) => t.status === 'ready').flatMap((t) => t.ddl)];
  if (statements.length === 0) return warnings;
  await client.query('BEGIN');
  for (const statement of statements) {
    try {
      await client.query(statement.sql);
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      if (createdMeanwhile(error)) {
        throw new PgferryError(
          'PGF_SCHEMA_CREATED_CONCURRENTLY',
          `${statement.object} was created on the destination by another session while this run was creating it; nothing of this run was created — run again (the next run finds the object and loads into it)`,
          { cause: error },
        );
      }
      throw new PgferryError(
        'PGF_SCHEMA_APPLY_FAILED',
        `creating ${statement.object} on the destination failed: ${safeServerReason(error)}; nothing was created (check the destination role's CREATE privilege, or use --schema-policy none)`,
        { cause: error },
      );
    }
  }
  await client.query('COMMIT');
  return warnings;
}

/**
 * Runs statements one by one in autocommit and returns those that failed, each with the
 * server's reason. With `passes` > 1, failed statements are retried after the others.
 */
export async function applyDdl(client: pg.Client, statements: readonly DdlStatement[], options: { passes: number }): Promise<{ object: string; reason: string }[]> {
  let remaining = [...statements];
  let errors = new Map<DdlStatement, string>();
  for (let pass = 0; pass < options.passes && remaining.length > 0; pass++) {
    errors = new Map();
    for (const statement of remaining) {
      try {
        await client.query(statement.sql);
      } catch (error) {
        errors.set(statement, (error as Error).message);
      }
    }
    remaining = remaining.filter((statement) => errors.has(statement));
  }
  return remaining.map((statement) => ({ object: statement.object, reason: errors.get(statement) ?? 'unknown error' }));
}

/** Drops destination foreign keys for the load, in one transaction. */
export async function dropForeignKeys(client: pg.Client, keys: readonly DroppedForeignKey[]): Promise<DroppedForeignKey[]> {
  if (keys.length === 0) return [];
  await client.query('BEGIN');
  try {
    for (const key of keys) await client.query(`ALTER TABLE ${qualified(key.table)} DROP CONSTRAINT ${quoteIdent(key.name)}`);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
  return [...keys];
}

/**
 * Re-creates dropped foreign keys NOT VALID, then validates them (a partitioned table's,
 * which cannot be NOT VALID before PostgreSQL 18, validated at once). One that cannot be
 * re-created is a missing object; one that fails validation stays NOT VALID and is reported.
 */
export async function restoreForeignKeys(client: pg.Client, keys: readonly DroppedForeignKey[], missing: MissingObject[]): Promise<string[]> {
  const warnings: string[] = [];
  for (const key of keys) {
    const table = qualified(key.table);
    const notValid = /\bNOT VALID$/.test(key.definition);
    const add = (suffix: string) => client.query(`ALTER TABLE ${table} ADD CONSTRAINT ${quoteIdent(key.name)} ${key.definition}${suffix}`);
    const object = `foreign key ${quoteIdent(key.name)} on ${displayName(key.table)}`;
    try {
      const { rows } = await client.query<{ partitioned: boolean }>(`SELECT relkind = 'p' AS partitioned FROM pg_catalog.pg_class WHERE oid = $1::regclass`, [table]);
      if (rows[0]?.partitioned && !notValid) {
        await add('');
        continue;
      }
      await add(notValid ? '' : ' NOT VALID');
    } catch (error) {
      missing.push({ object, reason: `could not be re-created after the load: ${(error as Error).message}; its definition: ${key.definition}` });
      continue;
    }
    if (notValid) continue;
    try {
      await client.query(`ALTER TABLE ${table} VALIDATE CONSTRAINT ${quoteIdent(key.name)}`);
    } catch (error) {
      warnings.push(`${object} is NOT VALID after the load: ${(error as Error).message}`);
    }
  }
  return warnings;
}

/** Copies each sequence's state (last_value and is_called), not max(id). */
export async function setSequences(source: pg.Client, destination: pg.Client, sequences: readonly SequencePlan[]): Promise<string[]> {
  const warnings: string[] = [];
  for (const sequence of sequences) {
    try {
      const state = await source.query<{ last_value: string; is_called: boolean }>(`SELECT last_value::text, is_called FROM ${qualified(sequence.name)}`);
      const row = state.rows[0];
      if (!row) continue;
      await destination.query('SELECT setval($1::regclass, $2::bigint, $3::boolean)', [qualified(sequence.name), row.last_value, row.is_called]);
    } catch (error) {
      warnings.push(`sequence ${displayName(sequence.name)} was not set: ${(error as Error).message}`);
    }
  }
  return warnings;
}
