import type pg from 'pg';

import { PgferryError } from '../../errors/pgferry-error.js';
import { copyBetween } from '../copy/copy-stream.js';
import { displayName, qualified, quoteIdent, quoteIdentList } from '../sql/quote-ident.js';
import { columnList, sourceSelect } from './plan-table.js';
import { applyQueryParams } from './query-params.js';
import type { ChunkPlan, TablePlan } from './sync-plan-types.js';

const stage = 'pg_temp.pgferry_stage';

export interface ChunkOutcome {
  rows: number;
  bytes: number;
  written: number;
  deleted: number;
  warnings: string[];
}

const nativeEquality = /^(smallint|integer|bigint|text|boolean|uuid|bytea|date|character varying(\(\d+\))?|timestamp(\(\d\))? with(out)? time zone)$/;

/** INSERT … ON CONFLICT from the staging table (and the mirror DELETE). Pure; exported for tests. */
export function mergeStatements(plan: TablePlan): { insert: string; delete: string | null } {
  const key = plan.key ?? [];
  const cols = quoteIdentList(plan.columns);
  const always = new Set(plan.source.columns.filter((c) => c.identity === 'a').map((c) => c.name));
  const updatable = plan.columns.filter((c) => !key.includes(c) && !always.has(c));
  let conflict: string;
  if (plan.mode === 'append' || updatable.length === 0) {
    conflict = `ON CONFLICT (${quoteIdentList(key)}) DO NOTHING`;
  } else {
    const set = updatable.map((c) => `${quoteIdent(c)} = EXCLUDED.${quoteIdent(c)}`).join(', ');
    // Types whose equality means identical text are compared natively (faster); the others as
    // text, so types without equality (json, point) work and a change of representation that
    // equality ignores (numeric scale, -0, jsonb numbers, '1 day' vs '24 hours') is copied too.
    const types = new Map(plan.source.columns.map((c) => [c.name, c]));
    const compare = (alias: string, c: string) => {
      const column = types.get(c);
      const native = column !== undefined && column.collation === null && (nativeEquality.test(column.type) || column.category === 'E');
      return native ? `${alias}.${quoteIdent(c)}` : `${alias}.${quoteIdent(c)}::text`;
    };
    const old = updatable.map((c) => compare('d', c)).join(', ');
    const fresh = updatable.map((c) => compare('EXCLUDED', c)).join(', ');
    conflict = `ON CONFLICT (${quoteIdentList(key)}) DO UPDATE SET ${set} WHERE ROW(${old}) IS DISTINCT FROM ROW(${fresh})`;
  }
  const insert = `INSERT INTO ${qualified(plan.name)} AS d (${cols}) OVERRIDING SYSTEM VALUE SELECT ${cols} FROM ${stage} ${conflict}`;
  let remove: string | null = null;
  if (plan.mode === 'mirror') {
    const match = key.map((k) => `s.${quoteIdent(k)} = d.${quoteIdent(k)}`).join(' AND ');
    remove = `DELETE FROM ${qualified(plan.name)} AS d WHERE NOT EXISTS (SELECT 1 FROM ${stage} s WHERE ${match})`;
  }
  return { insert, delete: remove };
}

type Trigger = TablePlan['triggers'][number];

/** Disables the enabled user triggers; returns those it disabled (a failure becomes a warning). */
async function disableTriggers(writer: pg.Client, plan: TablePlan, warnings: string[]): Promise<Trigger[]> {
  const disabled: Trigger[] = [];
  for (const trigger of plan.triggers) {
    await writer.query('SAVEPOINT pgferry_trigger');
    try {
      await writer.query(`ALTER TABLE ${qualified(plan.name)} DISABLE TRIGGER ${quoteIdent(trigger.name)}`);
      await writer.query('RELEASE SAVEPOINT pgferry_trigger');
      disabled.push(trigger);
    } catch (error) {
      await writer.query('ROLLBACK TO SAVEPOINT pgferry_trigger');
      warnings.push(
        `trigger ${quoteIdent(trigger.name)} on ${displayName(plan.name)} stayed enabled during the load (${(error as Error).message}); it may rewrite copied rows — make the sync role the table's owner`,
      );
    }
  }
  return disabled;
}

async function restoreTriggers(writer: pg.Client, plan: TablePlan, triggers: Trigger[]): Promise<void> {
  for (const trigger of triggers) {
    const action = trigger.enabled === 'A' ? 'ENABLE ALWAYS' : trigger.enabled === 'R' ? 'ENABLE REPLICA' : 'ENABLE';
    await writer.query(`ALTER TABLE ${qualified(plan.name)} ${action} TRIGGER ${quoteIdent(trigger.name)}`);
  }
}

/**
 * Loads one chunk in one destination transaction: full replaces (TRUNCATE + COPY), a table
 * created by this run takes a plain COPY, keyed modes COPY into a temporary staging table
 * and merge. Any failure rolls the transaction back, so the table is as it was.
 */
export async function loadChunk(args: {
  plan: TablePlan;
  chunk: ChunkPlan;
  reader: pg.Client;
  writer: pg.Client;
  signal?: AbortSignal | undefined;
  onProgress?: ((bytes: number) => void) | undefined;
}): Promise<ChunkOutcome> {
  const { plan, chunk, reader, writer } = args;
  const select = sourceSelect(plan, chunk);
  const warnings: string[] = [];
  await applyQueryParams(reader, select.params);
  // The extended protocol accepts exactly one statement: a filter or an `sql` rule that tries
  // to end the SELECT and add another (`1=1; DELETE …`) fails here, before any COPY runs.
  try {
    await reader.query({ text: `SELECT 1 FROM (${select.sql}) AS pgferry_check LIMIT 0`, queryMode: 'extended' } as pg.QueryConfig);
  } catch (error) {
    const what = plan.where !== null ? 'the WHERE filter' : 'the column rules';
    throw new PgferryError('PGF_FILTER_INVALID', `${what} for ${displayName(plan.name)} do not form one valid read-only SELECT: ${(error as Error).message}`, { cause: error });
  }
  const direct = plan.mode === 'full' || plan.createTable;
  await writer.query('BEGIN ISOLATION LEVEL READ COMMITTED, READ WRITE');
  try {
    const disabled = await disableTriggers(writer, plan, warnings);
    let outcome: { rows: number; bytes: number };
    let written = 0;
    let deleted = 0;
    if (direct) {
      const truncate = plan.mode === 'full' && !plan.createTable;
      if (truncate) await writer.query(`TRUNCATE ONLY ${qualified(plan.name)}`);
      outcome = await copyBetween({
        reader,
        writer,
        select: select.sql,
        sourceTable: select.table,
        target: columnList(qualified(plan.name), plan.columns.map(quoteIdent)),
        format: plan.format,
        freeze: truncate && disabled.length === 0 && plan.triggers.length === 0,
        signal: args.signal,
        onProgress: args.onProgress,
      });
      written = outcome.rows;
    } else {
      await writer.query(
        `CREATE TEMP TABLE pgferry_stage ON COMMIT DROP AS SELECT ${quoteIdentList(plan.columns)} FROM ONLY ${qualified(plan.name)} WITH NO DATA`,
      );
      outcome = await copyBetween({
        reader,
        writer,
        select: select.sql,
        sourceTable: select.table,
        target: `${stage} (${quoteIdentList(plan.columns)})`,
        format: plan.format,
        signal: args.signal,
        onProgress: args.onProgress,
      });
      const merge = mergeStatements(plan);
      written = (await writer.query(merge.insert)).rowCount ?? 0;
      if (merge.delete !== null) {
        const keyColumn = plan.key?.[0];
        const range: string[] = [];
        const values: string[] = [];
        if (keyColumn !== undefined && chunk.lower !== null) range.push(`d.${quoteIdent(keyColumn)} >= $${values.push(chunk.lower)}`);
        if (keyColumn !== undefined && chunk.upper !== null) range.push(`d.${quoteIdent(keyColumn)} < $${values.push(chunk.upper)}`);
        const sql = range.length > 0 ? `${merge.delete} AND ${range.join(' AND ')}` : merge.delete;
        deleted = (await writer.query(sql, values)).rowCount ?? 0;
        written += deleted;
      }
    }
    await restoreTriggers(writer, plan, disabled);
    await writer.query('COMMIT');
    return { rows: outcome.rows, bytes: outcome.bytes, written, deleted, warnings };
  } catch (error) {
    await writer.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}
