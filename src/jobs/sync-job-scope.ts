import { parseRuleText } from '../engine/sync/rule-grammar.js';
import type { ColumnRule, SyncMode, SyncOptions, TableSyncOptions } from '../engine/types.js';
import { PgferryError } from '../errors/pgferry-error.js';
import type { JobSelection, JobTableOptions } from '../store/job-columns.js';

// A saved sync job as the engine's options: shared by the executor and the save-time checks.

/** `hash`, `value:N/A`, `truncate:20`, `sql:upper(x)`… (the shared rule grammar) as the engine's rule for schema.table.column. */
export function parseColumnRule(table: string, column: string, text: string): ColumnRule {
  const parsed = parseRuleText(text);
  if (!parsed.ok) throw new PgferryError('PGF_VALIDATION_FAILED', `column rule "${text}" on ${table}.${column}: ${parsed.message}`);
  return { match: `${table}.${column}`, strategy: parsed.strategy, argument: parsed.argument };
}

/**
 * A saved job's selection and per-table options as one engine call: the "*" entry first,
 * then each table's own, so a table's options override the defaults field by field.
 */
export function jobSyncScope(job: { default_mode: SyncMode; selection: JobSelection; table_options: JobTableOptions }): Pick<SyncOptions, 'schemas' | 'tables' | 'exclude' | 'mode' | 'tableOptions' | 'rules'> {
  const selection = job.selection;
  const entries = Object.entries(job.table_options).sort(([a], [b]) => Number(b === '*') - Number(a === '*'));
  const tableOptions: TableSyncOptions[] = entries
    .map(([match, option]) => ({ match, mode: option.mode, where: option.where, cursor: option.cursor_column, key: option.key }))
    .filter((entry) => entry.mode !== undefined || entry.where !== undefined || entry.cursor !== undefined || entry.key !== undefined);
  const tables = [...(selection.tables ?? []), ...(selection.include ?? [])];
  return {
    schemas: selection.schemas,
    tables: tables.length > 0 ? tables : undefined,
    exclude: selection.exclude,
    mode: job.default_mode,
    tableOptions,
    // Rules: first match wins, so a table's own rules come before the "*" ones.
    rules: [...entries.filter(([table]) => table !== '*'), ...entries.filter(([table]) => table === '*')].flatMap(([table, option]) => Object.entries(option.columns ?? {}).map(([column, rule]) => parseColumnRule(table, column, rule))),
  };
}

