import { runSync } from '../../engine/sync/run-sync.js';
import type { EngineEvent, SyncOptions, SyncResult, TableResult } from '../../engine/types.js';
import { verifyAfterSync } from '../../engine/verify/verify-after-sync.js';
import { PgferryError } from '../../errors/pgferry-error.js';
import { loadAllowedConnectionTarget } from '../../net/allowed-targets.js';
import { missingObjectsMessage } from '../../store/run-statuses.js';
import { SyncStateRepository } from '../../store/sync-state-repository.js';
import type { RunRow } from '../../store/store-types.js';
import { assertBatchSyncJob, getSyncJob } from '../../store/sync-job-repository.js';
import type { RunContext, RunExecutor, RunResult, RunTableResult } from '../run-executor.js';
import { jobSyncScope } from '../sync-job-scope.js';
import { syncRunParamsSchema } from '../job-input-schemas.js';

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
  assertBatchSyncJob(job, 'run');
  const source = await loadAllowedConnectionTarget(context.db, context.secrets, context.outbound, job.source_connection_id);
  const destination = await loadAllowedConnectionTarget(context.db, context.secrets, context.outbound, job.destination_connection_id);
  const scope = jobSyncScope(job);
  // runs.params was checked when the run was queued; "resume" is followed through resume_of.
  const params = syncRunParamsSchema.safeParse(run.params);
  const verify = (params.success ? params.data.verify : undefined) ?? job.verify;
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

  // One engine call: one snapshot, one foreign-key plan, every table with its own options.
  const options: SyncOptions = {
    source: source.config,
    destination: destination.config,
    ...scope,
    placeholders: { last_success_at: await lastSuccessAt(context, job.id) },
    schemaPolicy: job.schema_policy,
    jobs: job.parallelism,
    splitRows: job.split_rows === null ? undefined : Number(job.split_rows),
    owners: job.copy_owners,
    grants: job.copy_grants,
    destinationProtected: destination.protected,
    runId: run.id,
    resumeCommitted,
    highWaterScope: job.id,
  };
  const result = await runSync(options, {
    signal: context.signal,
    onEvent,
    highWater: new SyncStateRepository(context.db),
    checkpoints: {
      // Stored at once: a resume after a crash must know every committed table.
      markCommitted: (_runId, table) => context.checkpoint(table),
    },
    logger: context.logger,
  });
  for (const warning of result.warnings) context.log('warn', warning);
  for (const missing of result.missingObjects) context.log('warn', `not reproduced: ${missing.object}: ${missing.reason}`, { data: { missing } });
  const list = result.tables.map(tableView);
  const failed = list.filter((table) => table.status === 'failed');
  const stopped = failed.length > 0 || result.status === 'failed' || result.status === 'cancelled';
  const outcome: RunResult = {
    status: stopped ? 'failed' : result.status === 'incomplete' || result.missingObjects.length > 0 ? 'incomplete' : 'succeeded',
    tables: list,
    missingObjects: result.missingObjects,
    totalRows: list.reduce((sum, table) => sum + table.rows, 0),
    totalBytes: list.reduce((sum, table) => sum + table.bytes, 0),
  };
  if (outcome.status === 'incomplete') {
    outcome.errorCode = 'PGF_RUN_INCOMPLETE';
    outcome.errorMessage = `every table was copied, but ${missingObjectsMessage(result.missingObjects)}`;
  }
  if (outcome.status === 'failed') {
    outcome.errorCode = 'PGF_SYNC_TABLE_FAILED';
    outcome.errorMessage =
      failed.length > 0
        ? `${failed.length} of ${list.length} table(s) failed: ${failed.map((table) => `${table.table} (${table.error ?? 'failed'})`).join('; ')}`
        : 'the sync stopped before every table was copied';
    return outcome;
  }
  if (verify && !context.signal.aborted) await verifyRun(options, result, outcome, context);
  return outcome;
};

/**
 * The job's verify step: checksums of every table the run wrote. A difference fails the run
 * (PGF_VERIFY_MISMATCH) naming the tables; each table's figure carries its verify status.
 */
async function verifyRun(options: SyncOptions, result: SyncResult, outcome: RunResult, context: RunContext): Promise<void> {
  context.log('info', 'verify: comparing row counts and checksums of the tables written');
  const verification = await verifyAfterSync(options, result, (line) => context.log('warn', line), context.signal);
  const byTable = new Map(verification.tables.map((t) => [`${t.schema}.${t.name}`, t.status as string]));
  for (const t of verification.notVerified) byTable.set(`${t.schema}.${t.name}`, `not verified: ${t.reason}`);
  for (const table of outcome.tables) {
    const status = byTable.get(table.table);
    if (status !== undefined) table.verify = status;
  }
  const differing = verification.tables.filter((t) => t.status !== 'verified');
  context.log(differing.length > 0 ? 'error' : 'info', `verify: ${verification.tables.length - differing.length} of ${verification.tables.length} table(s) equal${verification.notVerified.length > 0 ? `, ${verification.notVerified.length} not verified (filtered)` : ''}`);
  if (differing.length > 0) {
    outcome.status = 'failed';
    outcome.errorCode = 'PGF_VERIFY_MISMATCH';
    outcome.errorMessage = `the load finished but ${differing.length} table(s) differ from the source: ${differing.map((t) => `${t.schema}.${t.name} (${t.status}${t.status === 'mismatch' ? `: source ${t.sourceRows} rows, destination ${t.destinationRows}` : ''})`).join('; ')}`;
  }
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
