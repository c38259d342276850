import { type Kysely, type RawBuilder, type Selectable, sql } from 'kysely';

import { PgferryError } from '../errors/pgferry-error.js';
import { type StoreDb } from './repository-helpers.js';
import { announceQueuedRuns } from './run-wakeup.js';
import type { TerminalRunStatus } from './run-statuses.js';
import type { RunKind, RunMissingObject, RunRow, RunStatus, RunTrigger, StoreDatabase } from './store-types.js';
import { decodeKeysetCursor, encodeKeysetCursor } from './keyset-cursor.js';
import { isUuid } from './uuid.js';

export type { RunRow } from './store-types.js';

export interface EnqueueRunInput {
  kind: RunKind;
  syncJobId?: string | null;
  backupJobId?: string | null;
  jobName?: string | null;
  trigger: RunTrigger;
  params?: Record<string, unknown>;
  /** Tick time for scheduled runs; "not before" for retries waiting for their backoff. */
  scheduledFor?: Date | null;
  attempt?: number;
  retryOf?: string | null;
  resumeOf?: string | null;
  createdBy?: string | null;
}

/** Names the active run when the one-active-run-per-job index refuses a second one. */
async function activeRunConflict(db: StoreDb, input: EnqueueRunInput): Promise<PgferryError> {
  const active = await db
    .selectFrom('runs')
    .select(['id', 'status'])
    .where((eb) => (input.syncJobId ? eb('sync_job_id', '=', input.syncJobId) : eb('backup_job_id', '=', input.backupJobId ?? null)))
    .where('status', 'in', ['queued', 'running'])
    .executeTakeFirst();
  return new PgferryError(
    'PGF_JOB_ALREADY_RUNNING',
    `job "${input.jobName ?? ''}" already has a ${active?.status ?? 'active'} run${active ? ` (${active.id})` : ''}; wait for it to finish or cancel it`,
    { details: { runId: active?.id } },
  );
}

export async function enqueueRun(db: StoreDb, input: EnqueueRunInput): Promise<RunRow> {
  // Inside a transaction (a retry queued with the end of its run), a unique violation would
  // abort it all: the insert gets a savepoint, so the conflict lookup and the caller's other
  // statements still run.
  const savepoint = db.isTransaction;
  if (savepoint) await sql`SAVEPOINT pgferry_enqueue_run`.execute(db);
  try {
    const run = await db
      .insertInto('runs')
      .values({
        kind: input.kind,
        sync_job_id: input.syncJobId ?? null,
        backup_job_id: input.backupJobId ?? null,
        job_name: input.jobName ?? null,
        trigger: input.trigger,
        params: JSON.stringify(input.params ?? {}),
        scheduled_for: input.scheduledFor ?? null,
        attempt: input.attempt ?? 1,
        retry_of: input.retryOf ?? null,
        resume_of: input.resumeOf ?? null,
        created_by: input.createdBy ?? null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    if (savepoint) await sql`RELEASE SAVEPOINT pgferry_enqueue_run`.execute(db);
    await announceQueuedRuns(db);
    return run;
  } catch (error) {
    if (savepoint) await sql`ROLLBACK TO SAVEPOINT pgferry_enqueue_run`.execute(db);
    const constraint = (error as { constraint?: string }).constraint ?? '';
    if ((error as { code?: string }).code === '23505' && constraint.startsWith('runs_one_active')) throw await activeRunConflict(db, input);
    throw error;
  }
}

/** Takes up to `limit` due queued runs for this worker; SKIP LOCKED lets workers claim in parallel. */
export async function claimRuns(db: StoreDb, workerId: string, limit: number): Promise<RunRow[]> {
  if (limit <= 0) return [];
  const result = await sql<RunRow>`
    UPDATE runs SET status = 'running', started_at = now(), heartbeat_at = now(), worker_id = ${workerId}
    WHERE id IN (
      SELECT id FROM runs
      WHERE status = 'queued' AND coalesce(scheduled_for, queued_at) <= now()
      ORDER BY coalesce(scheduled_for, queued_at), id
      FOR UPDATE SKIP LOCKED
      LIMIT ${limit}
    )
    RETURNING *`.execute(db);
  return result.rows;
}

/**
 * Gives claimed runs back to the queue untouched (a worker that is shutting down claimed them
 * but must not start them): another worker takes them as if never claimed.
 */
export async function releaseClaimedRuns(db: StoreDb, workerId: string, runIds: string[]): Promise<void> {
  if (runIds.length === 0) return;
  await db
    .updateTable('runs')
    .set({ status: 'queued', started_at: null, heartbeat_at: null, worker_id: null })
    .where('id', 'in', runIds)
    .where('status', '=', 'running')
    .where('worker_id', '=', workerId)
    .execute();
}

/** Refreshes the heartbeat of this worker's runs; returns those still ours, with any cancel request. */
export async function heartbeatRuns(db: StoreDb, workerId: string, runIds: string[]): Promise<{ id: string; cancel_requested_at: Date | null }[]> {
  if (runIds.length === 0) return [];
  return db
    .updateTable('runs')
    .set({ heartbeat_at: sql`now()` })
    .where('id', 'in', runIds)
    .where('status', '=', 'running')
    .where('worker_id', '=', workerId)
    .returning(['id', 'cancel_requested_at'])
    .execute();
}

export interface RunOutcome {
  status: TerminalRunStatus;
  tables?: unknown[];
  /** Schema objects not reproduced (an `incomplete` run); stored as given, [] when absent. */
  missingObjects?: RunMissingObject[];
  totalRows?: number;
  totalBytes?: number;
  errorCode?: string | null;
  errorMessage?: string | null;
  errorStack?: string | null;
}

/**
 * A run's tables as they stay once it ended: a table still pending or running when the run
 * failed or was cancelled ends failed or cancelled itself, with the reason, never "running".
 */
function settledTables(tables: RawBuilder<unknown>, status: 'failed' | 'cancelled', reason: string): RawBuilder<unknown[]> {
  return sql<unknown[]>`(SELECT coalesce(jsonb_agg(CASE WHEN t->>'status' IN ('running', 'pending')
      THEN t || jsonb_build_object('status', ${status}::text, 'error', ${reason}::text) ELSE t END ORDER BY ord), '[]'::jsonb)
    FROM jsonb_array_elements(${tables}) WITH ORDINALITY AS x(t, ord))`;
}

/** Completes a run this worker still holds; undefined when another party already ended it. */
export async function finishRun(db: StoreDb, runId: string, workerId: string, outcome: RunOutcome): Promise<RunRow | undefined> {
  const tables = outcome.tables ? sql`${JSON.stringify(outcome.tables)}::jsonb` : sql`tables`;
  const ended = outcome.status === 'failed' || outcome.status === 'cancelled';
  const reason = outcome.status === 'cancelled' ? 'the run was cancelled before this table finished' : 'the run failed before this table finished';
  return db
    .updateTable('runs')
    .set({
      status: outcome.status,
      finished_at: sql`now()`,
      ...(ended ? { tables: settledTables(tables, outcome.status as 'failed' | 'cancelled', reason) } : outcome.tables ? { tables: JSON.stringify(outcome.tables) } : {}),
      missing_objects: JSON.stringify(outcome.missingObjects ?? []),
      ...(outcome.totalRows !== undefined ? { total_rows: outcome.totalRows } : {}),
      ...(outcome.totalBytes !== undefined ? { total_bytes: outcome.totalBytes } : {}),
      error_code: outcome.errorCode ?? null,
      error_message: outcome.errorMessage ?? null,
      error_stack: outcome.errorStack ?? null,
    })
    .where('id', '=', runId)
    .where('status', '=', 'running')
    .where('worker_id', '=', workerId)
    .returningAll()
    .executeTakeFirst();
}

export async function saveRunProgress(db: StoreDb, runId: string, tables: unknown[], totalRows: number, totalBytes: number): Promise<void> {
  await db
    .updateTable('runs')
    .set({ tables: JSON.stringify(tables), total_rows: totalRows, total_bytes: totalBytes })
    .where('id', '=', runId)
    .where('status', '=', 'running')
    .execute();
}

/** Marks failed every running run whose heartbeat lapsed; each is locked so one worker reaps it. */
export async function reapDeadRuns(db: StoreDb, deadAfterMs: number): Promise<RunRow[]> {
  const result = await sql<RunRow>`
    UPDATE runs SET status = 'failed', finished_at = now(), error_code = 'PGF_WORKER_LOST',
      tables = ${settledTables(sql`tables`, 'failed', 'the worker running it was lost before this table finished')},
      error_message = 'worker ' || coalesce(worker_id, '?') || ' stopped heartbeating (last at ' ||
        to_char(heartbeat_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') || ' UTC); it crashed or was killed'
    WHERE id IN (
      SELECT id FROM runs
      WHERE status = 'running' AND heartbeat_at < now() - make_interval(secs => ${deadAfterMs / 1000})
      FOR UPDATE SKIP LOCKED
    )
    RETURNING *`.execute(db);
  return result.rows;
}

export async function getRun(db: StoreDb, runId: string): Promise<RunRow> {
  const run = isUuid(runId) ? await db.selectFrom('runs').selectAll().where('id', '=', runId).executeTakeFirst() : undefined;
  if (!run) throw new PgferryError('PGF_NOT_FOUND', `no run with id "${runId}"; list runs with \`pgferry runs list\` or GET /api/v1/runs`);
  return run;
}

/** A queued run is cancelled at once; a running one is flagged and its worker aborts it. */
export async function requestCancel(db: Kysely<StoreDatabase>, runId: string): Promise<RunRow> {
  const run = await getRun(db, runId);
  if (run.status === 'queued') {
    const cancelled = await db
      .updateTable('runs')
      .set({ status: 'cancelled', finished_at: sql`now()`, cancel_requested_at: sql`now()`, error_code: 'PGF_RUN_CANCELLED', error_message: 'cancelled before it started' })
      .where('id', '=', run.id)
      .where('status', '=', 'queued')
      .returningAll()
      .executeTakeFirst();
    if (cancelled) return cancelled;
    return requestCancel(db, runId);
  }
  if (run.status === 'running') {
    return db
      .updateTable('runs')
      .set({ cancel_requested_at: sql`coalesce(cancel_requested_at, now())` })
      .where('id', '=', run.id)
      .returningAll()
      .executeTakeFirstOrThrow();
  }
  throw new PgferryError('PGF_RUN_NOT_CANCELLABLE', `run ${run.id} already ended (${run.status}); only queued or running runs can be cancelled`);
}

export const runSummaryColumns = [
  'id', 'kind', 'sync_job_id', 'backup_job_id', 'job_name', 'trigger', 'status', 'scheduled_for', 'queued_at',
  'started_at', 'finished_at', 'heartbeat_at', 'worker_id', 'attempt', 'retry_of', 'resume_of', 'total_rows',
  'total_bytes', 'error_code', 'error_message', 'cancel_requested_at', 'created_by',
] as const;
export type RunSummary = Pick<Selectable<StoreDatabase['runs']>, (typeof runSummaryColumns)[number]>;

export interface ListRunsQuery {
  limit: number;
  cursor?: string | undefined;
  job_id?: string | undefined;
  kind?: RunKind | undefined;
  status?: RunStatus[] | undefined;
  trigger?: RunTrigger | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
}

/** Newest first, keyset-paginated on (queued_at, id) so deep pages stay fast. */
export async function listRuns(db: StoreDb, query: ListRunsQuery): Promise<{ items: RunSummary[]; next_cursor: string | null }> {
  let select = db
    .selectFrom('runs')
    .select(runSummaryColumns)
    .select(sql<string>`to_char(queued_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`.as('cursor_at'));
  if (query.job_id) {
    // One column, so the (job, queued_at DESC) index serves both the filter and the order.
    const isSync = await db.selectFrom('sync_jobs').select('id').where('id', '=', query.job_id).executeTakeFirst();
    select = isSync ? select.where('sync_job_id', '=', query.job_id) : select.where('backup_job_id', '=', query.job_id);
  }
  if (query.kind) select = select.where('kind', '=', query.kind);
  if (query.status && query.status.length > 0) select = select.where('status', 'in', query.status);
  if (query.trigger) select = select.where('trigger', '=', query.trigger);
  if (query.from) select = select.where('queued_at', '>=', query.from);
  if (query.to) select = select.where('queued_at', '<', query.to);
  if (query.cursor) {
    const { at, id } = decodeKeysetCursor(query.cursor);
    select = select.where(sql<boolean>`(queued_at, id) < (${at}::timestamptz, ${id}::uuid)`);
  }
  const rows = await select.orderBy('queued_at', 'desc').orderBy('id', 'desc').limit(query.limit + 1).execute();
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  const next_cursor = rows.length > query.limit && last ? encodeKeysetCursor(last.cursor_at, last.id) : null;
  return { items: page.map(({ cursor_at: _cursor, ...run }) => run), next_cursor };
}

/** The latest finished (not cancelled) run of a job before `run`, to tell "recovered" from "succeeded". */
export async function previousFinishedRun(db: StoreDb, run: RunRow): Promise<Pick<RunRow, 'id' | 'status'> | undefined> {
  if (!run.sync_job_id && !run.backup_job_id) return undefined;
  return db
    .selectFrom('runs')
    .select(['id', 'status'])
    .where((eb) => (run.sync_job_id ? eb('sync_job_id', '=', run.sync_job_id) : eb('backup_job_id', '=', run.backup_job_id)))
    .where('id', '<>', run.id)
    .where('status', 'in', ['succeeded', 'incomplete', 'failed'])
    .where('finished_at', '<', run.finished_at ?? new Date())
    .orderBy('finished_at', 'desc')
    .limit(1)
    .executeTakeFirst();
}
