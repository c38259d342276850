import { randomUUID } from 'node:crypto';

import type pg from 'pg';

import { PgferryError, isPgferryError } from '../../errors/pgferry-error.js';
import { copyLargeObjects } from '../schema/large-objects.js';
import { SourceSnapshot } from '../snapshot/source-snapshot.js';
import { type QueryCanceller, cancelOnAbort } from '../sql/cancel-on-abort.js';
import { qualified, quoteIdent } from '../sql/quote-ident.js';
import { safeServerReason } from '../sql/safe-server-reason.js';
import { openSession } from '../sql/session-settings.js';
import type { EngineContext, EngineEvent, MissingObject, SyncOptions, SyncResult, TableResult } from '../types.js';
import { buildPlan } from './build-plan.js';
import { applyPrivileges } from './copy-privileges.js';
import { type ChunkOutcome, loadChunk } from './load-chunk.js';
import { applyQueryParams } from './query-params.js';
import { backoffMs, defaultRetry, errorCode, isTransientError, sleep } from './retry-policy.js';
import { applyDdl, applyPreData, dropForeignKeys, restoreForeignKeys, setSequences } from './run-ddl.js';
import type { ChunkPlan, SyncPlan, TablePlan } from './sync-plan-types.js';

export type { SyncPlan, TablePlan } from './sync-plan-types.js';

/**
 * Plans a run without writing anything (`--dry-run`): reads both catalogs inside a snapshot
 * and returns tables in load order with mode, key, estimates, DDL and constraint handling.
 */
export async function planSync(options: SyncOptions, context: Pick<EngineContext, 'highWater'> = {}): Promise<SyncPlan> {
  const { snapshot, destination } = await openBothEnds(options, 'pgferry plan');
  try {
    return await buildPlan({ source: snapshot.coordinator, destination, options, snapshot: snapshot.id, highWater: context.highWater });
  } finally {
    await destination.end().catch(() => undefined);
    await snapshot.close();
  }
}

/** The source snapshot and a destination session, connected at once; a failure of either leaves neither open. */
async function openBothEnds(options: SyncOptions, destinationName: string, canceller?: QueryCanceller): Promise<{ snapshot: SourceSnapshot; destination: pg.Client }> {
  const [snapshot, destination] = await Promise.allSettled([SourceSnapshot.open(options.source, { canceller, importId: options.importSnapshot }), openSession(options.destination, 'destination', destinationName)]);
  if (snapshot.status === 'fulfilled' && destination.status === 'fulfilled') {
    canceller?.watch(destination.value, options.destination);
    return { snapshot: snapshot.value, destination: destination.value };
  }
  if (snapshot.status === 'fulfilled') await snapshot.value.close();
  if (destination.status === 'fulfilled') await destination.value.end().catch(() => undefined);
  // The source's error first, as when the two were opened one after the other.
  throw snapshot.status === 'rejected' ? snapshot.reason : (destination as PromiseRejectedResult).reason;
}

interface TableState {
  plan: TablePlan;
  pending: ChunkPlan[];
  running: number;
  result: TableResult;
  started: number;
  done: boolean;
}

function emptyResult(plan: TablePlan): TableResult {
  const result: TableResult = { table: plan.id, schema: plan.name.schema, name: plan.name.name, mode: plan.mode, status: 'skipped', rows: 0, written: 0, deleted: 0, bytes: 0, durationMs: 0, attempts: 0 };
  if (plan.rules.length > 0) result.maskedColumns = plan.rules.map((rule) => rule.column);
  if (plan.filter !== null) result.filter = plan.filter;
  return result;
}

function describeError(error: unknown): { code: string; message: string } {
  if (isPgferryError(error)) return { code: error.code, message: error.message };
  const e = error as { code?: string; message?: string; detail?: string };
  // Never the server's DETAIL or a value from the message: they hold row values (see safeServerReason).
  return { code: typeof e.code === 'string' ? e.code : 'PGF_INTERNAL', message: safeServerReason(error) };
}

/**
 * Runs a sync: snapshot, pre-data, data (parallel tables and chunks, retries), post-data,
 * sequences, high-water marks. Never throws for a table's failure: each table ends
 * succeeded, failed or skipped, and a failed table is left as it was before the run.
 * Throws only when nothing was written (bad options, unreachable server, strict drift).
 *
 * Abort cancels the statements running on both servers (see cancelOnAbort): the reads and
 * loads of every worker, the snapshot's, and the admin session's until pre-data is applied —
 * not after, so that dropped foreign keys are always put back. The run returns once every
 * cancel request has been answered.
 */
export async function runSync(options: SyncOptions, context: EngineContext = {}): Promise<SyncResult> {
  const canceller = cancelOnAbort(context.signal);
  try {
    return await syncWith(options, context, canceller);
  } catch (error) {
    if (context.signal?.aborted !== true || isPgferryError(error)) throw error;
    throw new PgferryError('PGF_RUN_CANCELLED', 'the run was cancelled', { cause: error });
  } finally {
    await canceller.close();
  }
}

async function syncWith(options: SyncOptions, context: EngineContext, canceller: QueryCanceller): Promise<SyncResult> {
  const runId = options.runId ?? randomUUID();
  const started = Date.now();
  const startedAt = new Date(started).toISOString();
  const emit = (event: EngineEvent) => context.onEvent?.(event);
  const { snapshot, destination: admin } = await openBothEnds(options, 'pgferry admin', canceller);
  const warnings: string[] = [];
  const clients = new Set<pg.Client>();
  try {
    const plan = await buildPlan({ source: snapshot.coordinator, destination: admin, options: { ...options, runId }, snapshot: snapshot.id, highWater: context.highWater });
    warnings.push(...plan.warnings);
    const states = plan.tables.map<TableState>((p) => ({ plan: p, pending: p.status === 'ready' ? [...p.chunks] : [], running: 0, result: emptyResult(p), started: 0, done: p.status !== 'ready' }));
    for (const state of states) {
      if (state.plan.status === 'refused') {
        state.result.status = 'failed';
        state.result.error = state.plan.reason;
      } else if (state.plan.status === 'skipped') {
        state.result.reason = state.plan.reason?.message;
      }
    }
    emit({
      type: 'run:start',
      runId,
      tables: states.length,
      estimatedRows: states.reduce((sum, s) => sum + (s.done ? 0 : s.plan.estimatedRows), 0),
      estimatedBytes: states.reduce((sum, s) => sum + (s.done ? 0 : s.plan.estimatedBytes), 0),
    });

    // Refused and resumed tables are reported at once; nothing will happen to them.
    for (const state of states) if (state.done) emit({ type: 'table:done', table: state.plan.id, result: state.result });
    const missingObjects = [...plan.missingObjects];
    for (const w of await applyPreData(admin, plan, missingObjects)) warnings.push(w);
    emit({ type: 'schema:applied', phase: 'pre-data', statements: plan.preData.length + plan.tables.reduce((n, t) => n + t.ddl.length, 0) });
    // From here the admin session drops and restores foreign keys: no cancel may cut that short.
    canceller.forget(admin);
    const dropped = await dropForeignKeys(admin, plan.droppedForeignKeys);
    try {
      await runWorkers(states, { ...options, runId }, context, snapshot, clients, warnings, missingObjects, emit, canceller);
    } finally {
      for (const w of await restoreForeignKeys(admin, dropped, missingObjects)) warnings.push(w);
    }

    const largeObjects = await syncLargeObjects(snapshot.coordinator, admin, plan, missingObjects);
    for (const failure of await applyDdl(admin, plan.finalDdl, { passes: 1 })) {
      missingObjects.push({ object: failure.object, reason: failure.reason });
    }
    emit({ type: 'schema:applied', phase: 'post-data', statements: plan.finalDdl.length });
    const succeeded = new Set(states.filter((s) => s.result.status === 'succeeded').map((s) => s.plan.id));
    // Every sequence but those of failed tables: a stand-alone sequence's state is the source's whatever failed.
    for (const w of await setSequences(snapshot.coordinator, admin, plan.sequences.filter((s) => s.table === null || succeeded.has(s.table)))) {
      warnings.push(w);
    }
    // Last: owners and grants of what exists now (a failed table's statements wait for a run that copies it).
    for (const w of await applyPrivileges(admin, plan.privileges.filter((s) => s.table === undefined || succeeded.has(s.table)))) warnings.push(w);
    for (const w of warnings) emit({ type: 'schema:warning', object: 'run', message: w });

    const tables = states.map((s) => s.result);
    const cancelled = context.signal?.aborted === true;
    const result: SyncResult = {
      runId,
      status: cancelled ? 'cancelled' : tables.some((t) => t.status === 'failed') ? 'failed' : missingObjects.length > 0 ? 'incomplete' : 'succeeded',
      tables,
      missingObjects,
      ...(largeObjects ? { largeObjects } : {}),
      warnings,
      totals: {
        tables: tables.length,
        succeeded: tables.filter((t) => t.status === 'succeeded').length,
        failed: tables.filter((t) => t.status === 'failed').length,
        skipped: tables.filter((t) => t.status === 'skipped').length,
        rows: tables.reduce((n, t) => n + t.rows, 0),
        written: tables.reduce((n, t) => n + t.written, 0),
        bytes: tables.reduce((n, t) => n + t.bytes, 0),
        durationMs: Date.now() - started,
      },
      startedAt,
      finishedAt: new Date().toISOString(),
    };
    emit({ type: 'run:done', result });
    return result;
  } finally {
    for (const client of clients) await client.end().catch(() => undefined);
    await admin.end().catch(() => undefined);
    await snapshot.close();
  }
}

/** N workers, each with one reader (in the snapshot) and one writer, pulling chunks in load order. */
async function runWorkers(
  states: TableState[],
  options: SyncOptions,
  context: EngineContext,
  snapshot: SourceSnapshot,
  clients: Set<pg.Client>,
  warnings: string[],
  missingObjects: MissingObject[],
  emit: (event: EngineEvent) => void,
  canceller: QueryCanceller,
): Promise<void> {
  const retry = { ...defaultRetry, ...options.retry };
  const byId = new Map(states.map((s) => [s.plan.id, s]));
  const waiters: (() => void)[] = [];
  const changed = () => waiters.splice(0).forEach((resolve) => resolve());
  const ready = (s: TableState) => !s.done && s.pending.length > 0 && s.plan.dependsOn.every((d) => byId.get(d)?.done !== false);
  const highWaterScope = options.highWaterScope ?? 'default';
  const runId = options.runId ?? '';

  const finishTable = async (state: TableState, writer: pg.Client) => {
    const { plan, result } = state;
    if (result.status !== 'failed') {
      result.status = 'succeeded';
      result.loadMs = Date.now() - state.started;
      if (plan.postData.length > 0) {
        for (const failure of await applyDdl(writer, plan.postData, { passes: 1 })) missingObjects.push({ object: failure.object, reason: failure.reason });
      }
      // The table is committed: failing to record its mark or checkpoint only costs work later.
      try {
        if (plan.cursor && context.highWater) {
          const mark = await highWaterMark(snapshot.coordinator, plan);
          if (mark !== null || plan.cursor.from === null) await context.highWater.set(highWaterScope, plan.id, plan.cursor.column, mark ?? plan.cursor.from);
        }
        await context.checkpoints?.markCommitted(runId, plan.id);
      } catch (error) {
        warnings.push(`the high-water mark or checkpoint of ${plan.id} was not saved (${(error as Error).message}); the next run reads its rows again`);
      }
    }
    result.durationMs = Date.now() - state.started;
    state.done = true;
    emit({ type: 'table:done', table: plan.id, result });
    changed();
  };

  const worker = async (index: number) => {
    let reader: pg.Client | undefined;
    let writer: pg.Client | undefined;
    const discard = async () => {
      for (const client of [reader, writer]) {
        if (!client) continue;
        clients.delete(client);
        await client.end().catch(() => undefined);
      }
      reader = undefined;
      writer = undefined;
    };
    try {
      while (true) {
        if (context.signal?.aborted) return;
        const state = states.find(ready);
        if (state === undefined) {
          if (states.every((s) => s.done || s.pending.length === 0)) return;
          await new Promise<void>((resolve) => waiters.push(resolve));
          continue;
        }
        const chunk = state.pending.shift()!;
        state.running++;
        if (state.started === 0) state.started = Date.now();
        const { plan, result } = state;
        let outcome: ChunkOutcome | undefined;
        for (let attempt = 1; attempt <= retry.attempts; attempt++) {
          result.attempts = Math.max(result.attempts, attempt);
          emit({ type: 'table:start', table: plan.id, mode: plan.mode, estimatedRows: plan.estimatedRows, attempt });
          try {
            if (!reader) clients.add((reader = await snapshot.openReader(`pgferry reader ${index}`)));
            if (!writer) clients.add((writer = canceller.watch(await openSession(options.destination, 'destination', `pgferry writer ${index}`), options.destination)));
            const base = result.bytes;
            outcome = await loadChunk({
              plan,
              chunk,
              reader,
              writer,
              signal: context.signal,
              onProgress: (bytes) => {
                const total = base + bytes;
                const rows = plan.estimatedBytes > 0 ? Math.round((total / plan.estimatedBytes) * plan.estimatedRows) : 0;
                emit({ type: 'table:progress', table: plan.id, rows: Math.min(rows, plan.estimatedRows), bytes: total, estimatedRows: plan.estimatedRows });
              },
            });
            break;
          } catch (error) {
            // After a failed COPY the reader is mid-stream: both sessions are replaced.
            await discard();
            const transient = isTransientError(error) && !context.signal?.aborted;
            if (!transient || attempt === retry.attempts) {
              result.status = 'failed';
              result.error = context.signal?.aborted ? { code: 'PGF_RUN_CANCELLED', message: 'the run was cancelled' } : describeError(error);
              break;
            }
            const delayMs = backoffMs(attempt, retry);
            emit({ type: 'table:retry', table: plan.id, attempt, delayMs, code: errorCode(error), message: describeError(error).message });
            await sleep(delayMs, context.signal).catch(() => undefined);
          }
        }
        state.running--;
        if (outcome) {
          result.rows += outcome.rows;
          result.bytes += outcome.bytes;
          result.written += outcome.written;
          result.deleted += outcome.deleted;
          warnings.push(...outcome.warnings);
          // The range is committed: failing to record it only costs work on a resume.
          if (plan.chunks.length > 1) {
            await Promise.resolve(context.checkpoints?.markCommitted(runId, chunk.id)).catch((error: unknown) =>
              warnings.push(`the checkpoint of ${chunk.id} was not saved (${(error as Error).message}); a resume copies it again`),
            );
          }
        } else {
          state.pending.length = 0;
        }
        if (state.pending.length === 0 && state.running === 0) {
          try {
            if (!writer) clients.add((writer = canceller.watch(await openSession(options.destination, 'destination', `pgferry writer ${index}`), options.destination)));
            await finishTable(state, writer);
          } catch (error) {
            // A session that cannot open fails this table only; the other workers go on.
            result.status = 'failed';
            result.error = describeError(error);
            await discard();
            if (!state.done) {
              state.done = true;
              emit({ type: 'table:done', table: plan.id, result });
              changed();
            }
          }
        }
      }
    } finally {
      await discard();
    }
  };
  const count = Math.max(1, Math.min(options.jobs ?? 1, 64));
  // Every worker ends before the run goes on: an unexpected error of one must not let the
  // caller close the others' sessions mid-COPY or restore foreign keys during the load.
  const settled = await Promise.allSettled(Array.from({ length: count }, (_, i) => worker(i + 1)));
  const crashed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (crashed) throw crashed.reason;
  for (const state of states) {
    if (!state.done) {
      state.done = true;
      state.result.reason = 'the run was cancelled before this table started';
      emit({ type: 'table:done', table: state.plan.id, result: state.result });
    }
  }
}

/**
 * Large objects' data, when the selection holds them (their pre-data object made each one
 * with its OID): copied whole every run, an existing one overwritten and cut to the source's
 * length. A failure leaves the run incomplete, naming the cause.
 */
async function syncLargeObjects(source: pg.Client, destination: pg.Client, plan: SyncPlan, missingObjects: MissingObject[]): Promise<{ count: number; bytes: number } | undefined> {
  if (!plan.schema.some((o) => o.key.startsWith('large object ') && o.action !== 'missing')) return undefined;
  try {
    return await copyLargeObjects(source, destination, { replace: false });
  } catch (error) {
    missingObjects.push({ object: 'large object data', reason: `copying large objects failed: ${(error as Error).message}` });
    return undefined;
  }
}

/** The largest cursor value read (same snapshot, same filter), as text for the high-water store. */
async function highWaterMark(coordinator: pg.Client, plan: TablePlan): Promise<string | null> {
  await applyQueryParams(coordinator, plan.params);
  const where = plan.where === null ? '' : ` WHERE ${plan.where}`;
  const result = await coordinator.query<{ mark: string | null }>(
    `SELECT max(${quoteIdent(plan.cursor!.column)})::text AS mark FROM ONLY ${qualified(plan.name)}${where}`,
  );
  return result.rows[0]?.mark ?? null;
}
