import { runSync } from '../../engine/sync/run-sync.js';
import type { ColumnRule, EngineEvent, MissingObject, RuleStrategy, SyncMode, SyncOptions, SyncResult, TableResult } from '../../engine/types.js';
import { ruleStrategies } from '../../engine/types.js';
import { PgferryError, isPgferryError } from '../../errors/pgferry-error.js';
import { loadConnectionTarget } from '../../store/connection-repository.js';
import { missingObjectsMessage } from '../../store/run-statuses.js';
import { SyncStateRepository } from '../../store/sync-state-repository.js';
import type { RunRow } from '../../store/store-types.js';
import { getSyncJob } from '../../store/sync-job-repository.js';
import type { tableOptionSchema } from '../job-input-schemas.js';
import type { RunContext, RunExecutor, RunResult, RunTableResult } from '../run-executor.js';
import type { z } from 'zod';

type TableOption = z.infer<typeof tableOptionSchema>;

// Short rule names of the job form (PRODUCT.md §3) to the engine's strategies.
const ruleAliases: Record<string, RuleStrategy> = { email: 'unique_email', phone: 'unique_phone', secret: 'unique_secret' };

/** `hash`, `value:N/A`, `truncate:20`, `sql:upper(x)`… as the engine's rule for schema.table.column. */
export function parseColumnRule(table: string, column: string, text: string): ColumnRule {
  const colon = text.indexOf(':');
  const name = (colon < 0 ? text : text.slice(0, colon)).trim();
  const argument = colon < 0 ? undefined : text.slice(colon + 1);
  const strategy = ruleAliases[name] ?? (name as RuleStrategy);
  if (!(ruleStrategies as readonly string[]).includes(strategy)) {
    throw new PgferryError('PGF_VALIDATION_FAILED', `column rule "${text}" on ${table}.${column}: unknown rule "${name}"; use one of null, value:<v>, hash, email, phone, name, random_int, truncate:<n>, sql:<expr>`);
  }
  return { match: `${table}.${column}`, strategy, argument };
}

interface SyncGroup {
  label: string;
  tables: string[] | undefined;
  exclude: string[] | undefined;
  mode: SyncMode;
  where: string | undefined;
  cursor: string | undefined;
}

/**
 * The engine takes one mode/filter/cursor per call; tables whose options differ from the
 * job's defaults run as their own groups (same signal, one after another).
 */
export function syncGroups(job: { default_mode: string; selection: Record<string, unknown>; table_options: Record<string, unknown> }): SyncGroup[] {
  const selection = job.selection as { tables?: string[]; include?: string[]; exclude?: string[] };
  const options = job.table_options as Record<string, TableOption>;
  const defaults = options['*'] ?? {};
  const special = Object.entries(options).filter(
    ([table, option]) => table !== '*' && (option.mode !== undefined || option.where !== undefined || option.cursor_column !== undefined),
  );
  const baseTables = [...(selection.tables ?? []), ...(selection.include ?? [])];
  const groups: SyncGroup[] = [
    {
      label: 'default',
      tables: baseTables.length > 0 ? baseTables : undefined,
      exclude: [...(selection.exclude ?? []), ...special.map(([table]) => table)],
      mode: (defaults.mode ?? job.default_mode) as SyncMode,
      where: defaults.where,
      cursor: defaults.cursor_column,
    },
  ];
  // An explicit table list whose every table has its own options leaves the default group empty.
  const specialTables = new Set(special.map(([table]) => table));
  if (baseTables.length > 0 && baseTables.every((table) => specialTables.has(table))) groups.pop();
  for (const [table, option] of special) {
    groups.push({
      label: table,
      tables: [table],
      exclude: undefined,
      mode: (option.mode ?? defaults.mode ?? job.default_mode) as SyncMode,
      where: option.where ?? defaults.where,
      cursor: option.cursor_column ?? defaults.cursor_column,
    });
  }
  return groups;
}

function tableView(result: TableResult): RunTableResult {
  return {
    table: result.table,
    status: result.status,
    mode: result.mode,
    rows: result.rows,
    written: result.written,
    deleted: result.deleted,
    bytes: result.bytes,
    duration_ms: result.durationMs,
    attempts: result.attempts,
    ...(result.error ? { error: result.error.message, error_code: result.error.code } : {}),
    ...(result.reason ? { reason: result.reason } : {}),
  };
}

/** Tables committed by the run being resumed and by the runs it resumed in turn. */
async function committedTables(context: RunContext, run: RunRow): Promise<Set<string>> {
  const committed = new Set<string>();
  let current: string | null = run.resume_of;
  for (let depth = 0; current && depth < 20; depth += 1) {
    const lines = await context.db.selectFrom('run_logs').select('data').where('run_id', '=', current).where('message', 'like', 'committed %').execute();
    for (const line of lines) {
      const table = (line.data as { committed?: string } | null)?.committed;
      if (table) committed.add(table);
    }
    const previous = await context.db.selectFrom('runs').select('resume_of').where('id', '=', current).executeTakeFirst();
    current = previous?.resume_of ?? null;
  }
  return committed;
}

/** Runs a saved sync job through the sync engine, with progress, logs, marks and checkpoints in the store. */
export const syncExecutor: RunExecutor = async (run, context) => {
  if (!run.sync_job_id) throw new PgferryError('PGF_NOT_FOUND', `run ${run.id} has no sync job (it was deleted); nothing to run`);
  const job = await getSyncJob(context.db, run.sync_job_id);
  const source = await loadConnectionTarget(context.db, context.secrets, job.source_connection_id);
  const destination = await loadConnectionTarget(context.db, context.secrets, job.destination_connection_id);
  const rules = Object.entries(job.table_options as Record<string, TableOption>).flatMap(([table, option]) =>
    Object.entries(option.columns ?? {}).map(([column, rule]) => parseColumnRule(table, column, rule)),
  );
  const resumeCommitted = run.resume_of ? await committedTables(context, run) : undefined;
  if (resumeCommitted) context.log('info', `resuming run ${run.resume_of}: ${resumeCommitted.size} committed table(s) are skipped`);
  context.log('info', `sync ${source.name} → ${destination.name}${destination.protected ? ' (protected destination)' : ''}`);

  const tables = new Map<string, RunTableResult>();
  const publish = () => {
    const list = [...tables.values()];
    context.progress({ tables: list, totalRows: list.reduce((sum, table) => sum + table.rows, 0), totalBytes: list.reduce((sum, table) => sum + table.bytes, 0) });
  };
  const onEvent = (event: EngineEvent) => {
    switch (event.type) {
      case 'run:start':
        context.log('info', `${event.tables} table(s) planned, about ${event.estimatedRows} rows`);
        break;
      case 'schema:applied':
        context.log('info', `${event.phase}: ${event.statements} statement(s) applied`);
        break;
      case 'schema:warning':
        context.log('warn', `${event.object}: ${event.message}`);
        break;
      case 'table:start':
        tables.set(event.table, { table: event.table, status: 'running', mode: event.mode, rows: 0, bytes: 0, estimated_rows: event.estimatedRows });
        context.log('info', `copying ${event.table} (${event.mode}${event.attempt > 1 ? `, attempt ${event.attempt}` : ''})`, { table: event.table });
        publish();
        break;
      case 'table:progress': {
        const current = tables.get(event.table);
        if (current) Object.assign(current, { rows: event.rows, bytes: event.bytes, estimated_rows: event.estimatedRows });
        publish();
        break;
      }
      case 'table:retry':
        context.log('warn', `${event.table}: ${event.code} ${event.message}; retrying in ${event.delayMs} ms (attempt ${event.attempt})`, { table: event.table });
        break;
      case 'table:done':
        tables.set(event.table, tableView(event.result));
        context.log(event.result.status === 'failed' ? 'error' : 'info', `${event.table} ${event.result.status}: ${event.result.rows} rows, ${event.result.bytes} bytes${event.result.error ? ` — ${event.result.error.message}` : ''}`, { table: event.table });
        publish();
        break;
      case 'run:done':
        break;
    }
  };

  const results: SyncResult[] = [];
  const groups = syncGroups(job);
  for (const group of groups) {
    if (context.signal.aborted) break;
    const options: SyncOptions = {
      source: source.config,
      destination: destination.config,
      schemas: (job.selection as { schemas?: string[] }).schemas,
      tables: group.tables,
      exclude: group.exclude,
      mode: group.mode,
      where: group.where,
      cursor: group.cursor,
      placeholders: { last_success_at: await lastSuccessAt(context, job.id) },
      rules,
      schemaPolicy: job.schema_policy as SyncOptions['schemaPolicy'],
      jobs: job.parallelism,
      splitRows: job.split_rows === null ? undefined : Number(job.split_rows),
      owners: job.copy_owners,
      grants: job.copy_grants,
      destinationProtected: destination.protected,
      runId: run.id,
      resumeCommitted,
      highWaterScope: job.id,
    };
    const syncGroup = (): Promise<SyncResult> =>
      runSync(options, {
        signal: context.signal,
        onEvent,
        highWater: new SyncStateRepository(context.db),
        checkpoints: {
          // Written at once (not buffered): a resume after a crash must know every committed table.
          markCommitted: async (_runId, table) => {
            await context.db.insertInto('run_logs').values({ run_id: run.id, level: 'debug', message: `committed ${table}`, table_name: table, data: JSON.stringify({ committed: table }) }).execute();
          },
        },
        logger: context.logger,
      });
    try {
      results.push(await syncGroup());
    } catch (error) {
      // Globs of the default group may match only tables that have their own group.
      if (group.label === 'default' && groups.length > 1 && isPgferryError(error) && error.code === 'PGF_NO_TABLES_SELECTED') continue;
      throw error;
    }
  }
  for (const result of results) for (const warning of result.warnings) context.log('warn', warning);
  const missingObjects = uniqueMissingObjects(results);
  for (const missing of missingObjects) context.log('warn', `not reproduced: ${missing.object}: ${missing.reason}`, { data: { missing } });
  const list = results.flatMap((result) => result.tables.map(tableView));
  const failed = list.filter((table) => table.status === 'failed');
  const stopped = failed.length > 0 || results.some((result) => result.status === 'failed' || result.status === 'cancelled');
  const outcome: RunResult = {
    status: stopped ? 'failed' : missingObjects.length > 0 || results.some((result) => result.status === 'incomplete') ? 'incomplete' : 'succeeded',
    tables: list,
    missingObjects,
    totalRows: list.reduce((sum, table) => sum + table.rows, 0),
    totalBytes: list.reduce((sum, table) => sum + table.bytes, 0),
  };
  if (outcome.status === 'incomplete') {
    outcome.errorCode = 'PGF_RUN_INCOMPLETE';
    outcome.errorMessage = `every table was copied, but ${missingObjectsMessage(missingObjects)}`;
  }
  if (outcome.status === 'failed') {
    outcome.errorCode = 'PGF_SYNC_TABLE_FAILED';
    outcome.errorMessage =
      failed.length > 0
        ? `${failed.length} of ${list.length} table(s) failed: ${failed.map((table) => `${table.table} (${table.error ?? 'failed'})`).join('; ')}`
        : 'the sync stopped before every table was copied';
  }
  return outcome;
};

/** The groups' missing objects, each once (database-level objects are reported by every group). */
function uniqueMissingObjects(results: SyncResult[]): MissingObject[] {
  const seen = new Map<string, MissingObject>();
  for (const result of results) for (const missing of result.missingObjects) if (!seen.has(missing.object)) seen.set(missing.object, missing);
  return [...seen.values()];
}

async function lastSuccessAt(context: RunContext, jobId: string): Promise<string> {
  const row = await context.db
    .selectFrom('runs')
    .select((eb) => eb.fn.max('started_at').as('at'))
    .where('sync_job_id', '=', jobId)
    .where('status', '=', 'succeeded')
    .executeTakeFirst();
  const at = row?.at as Date | null | undefined;
  return (at ?? new Date(0)).toISOString();
}
