import type { Kysely } from 'kysely';

import { safeServerReason } from '../../engine/sql/safe-server-reason.js';
import { PgferryError, isPgferryError } from '../../errors/pgferry-error.js';
import type { Logger } from '../../logger.js';
import type { OutboundCheck } from '../../net/outbound-guard.js';
import type { SecretBox } from '../../secrets/secret-box.js';
import { type RunOutcome, finishRun, heartbeatRuns, saveRunProgress } from '../../store/run-repository.js';
import type { RunRow, StoreDatabase } from '../../store/store-types.js';
import type { RunExecutors, RunProgress } from '../run-executor.js';
import { RunLogWriter } from '../run-log-writer.js';
import { loadJobPolicy, queueRetryIfAllowed } from '../run-retry.js';
import { queueHandBack } from './hand-back.js';
import { type AbortReason, abortReason, abortedOutcome, finishedOutcome } from './run-outcome.js';
import type { WorkerEvents } from './worker-events.js';

export interface RunSupervisorOptions {
  db: Kysely<StoreDatabase>;
  secrets: SecretBox;
  outbound: OutboundCheck;
  logger: Logger;
  executors: RunExecutors;
  workerId: string;
  events: WorkerEvents;
  /** Called once a run has ended and been stored (notifications hang here). */
  runFinished?: ((run: RunRow) => Promise<void>) | undefined;
}

interface ActiveRun {
  controller: AbortController;
  done: Promise<void>;
}

/**
 * Runs the runs a worker claimed: each with an AbortSignal, its job's timeout, progress saved
 * about once a second, its heartbeat (which also brings cancel requests and notices a run taken
 * away), and its end stored with its retry or hand-back in one transaction.
 */
export class RunSupervisor {
  readonly #active = new Map<string, ActiveRun>();

  constructor(private readonly options: RunSupervisorOptions) {}

  get activeRunIds(): string[] {
    return [...this.#active.keys()];
  }

  get size(): number {
    return this.#active.size;
  }

  /** Starts the run; `settled` is called once its end is stored (or its bookkeeping failed). */
  start(run: RunRow, settled: () => void): void {
    const controller = new AbortController();
    const entry: ActiveRun = { controller, done: Promise.resolve() };
    this.#active.set(run.id, entry);
    entry.done = this.#execute(run, controller)
      .catch((error: unknown) => this.options.logger.error({ err: error, runId: run.id }, 'run bookkeeping failed'))
      .finally(() => {
        this.#active.delete(run.id);
        settled();
      });
  }

  /** Resolves once every run started so far has ended and been stored. */
  async drained(): Promise<void> {
    await Promise.all([...this.#active.values()].map((entry) => entry.done));
  }

  abort(runId: string, reason: AbortReason): void {
    const entry = this.#active.get(runId);
    if (!entry || entry.controller.signal.aborted) return;
    this.options.logger.info({ runId, reason: reason.kind }, `aborting run: ${reason.message}`);
    entry.controller.abort(reason);
    this.options.events.emit('run:aborted', { runId, kind: reason.kind });
  }

  abortAll(reason: AbortReason): void {
    for (const id of this.activeRunIds) this.abort(id, reason);
  }

  /** Proves our runs alive, picks up cancel requests, and stops runs another party ended. */
  async heartbeat(): Promise<void> {
    const { db, workerId } = this.options;
    const ids = this.activeRunIds;
    const alive = await heartbeatRuns(db, workerId, ids);
    const aliveIds = new Set(alive.map((row) => row.id));
    for (const row of alive) {
      if (row.cancel_requested_at) this.abort(row.id, { kind: 'cancel', message: 'cancelled on request' });
    }
    for (const id of ids) {
      // Only runs still running here: one that just finished is simply gone from the table's "running" set.
      const entry = this.#active.get(id);
      if (aliveIds.has(id) || !entry || entry.controller.signal.aborted) continue;
      const current = await db.selectFrom('runs').select(['status', 'worker_id']).where('id', '=', id).executeTakeFirst();
      if (current && (current.status !== 'running' || current.worker_id !== workerId)) {
        this.abort(id, { kind: 'lost', message: 'the run was taken from this worker (its heartbeat lapsed)' });
      }
    }
  }

  async #execute(run: RunRow, controller: AbortController): Promise<void> {
    const { db, logger: baseLogger, secrets, workerId } = this.options;
    const logger = baseLogger.child({ runId: run.id, job: run.job_name });
    const policy = await loadJobPolicy(db, run);
    const log = new RunLogWriter(db, run.id, logger);
    const timeout =
      policy.timeout_s === null
        ? undefined
        : setTimeout(
            () => this.abort(run.id, { kind: 'timeout', message: `run exceeded the job's timeout of ${policy.timeout_s} s and was stopped` }),
            policy.timeout_s * 1000,
          );
    let latest: RunProgress = { tables: [], totalRows: 0, totalBytes: 0 };
    let savedVersion = 0;
    let version = 0;
    const progressTimer = setInterval(() => {
      if (savedVersion === version) return;
      savedVersion = version;
      void saveRunProgress(db, run.id, latest.tables, latest.totalRows, latest.totalBytes).catch(() => undefined);
    }, 1000);
    let outcome: RunOutcome = { status: 'failed', errorCode: 'PGF_INTERNAL', errorMessage: 'the run ended without a result' };
    const started = Date.now();
    log.write({ level: 'info', message: `run started on worker ${workerId} (attempt ${run.attempt}, trigger ${run.trigger})` });
    try {
      const executor = this.options.executors[run.kind];
      if (!executor) throw new PgferryError('PGF_NO_EXECUTOR', `this pgferry cannot run ${run.kind} runs (no executor configured)`);
      const result = await executor(run, {
        signal: controller.signal,
        log: (level, message, extra) => log.write({ level, message, table: extra?.table ?? null, data: extra?.data }),
        checkpoint: (table) => log.writeNow({ level: 'debug', message: `committed ${table}`, table, data: { committed: table } }),
        progress: (progress) => {
          latest = progress;
          version += 1;
        },
        db,
        secrets,
        outbound: this.options.outbound,
        logger,
        workerId,
      });
      latest = result;
      const reason = abortReason(controller.signal);
      outcome = reason && result.status === 'failed' ? abortedOutcome(reason) : finishedOutcome(result);
    } catch (error) {
      const reason = abortReason(controller.signal);
      // Viewers read the run: its message has no row values and no stack (server paths); the process log has both.
      if (!reason && !isPgferryError(error)) logger.error({ err: error }, 'the run failed with an unexpected error');
      outcome = reason
        ? abortedOutcome(reason)
        : {
            status: 'failed',
            errorCode: isPgferryError(error) ? error.code : 'PGF_INTERNAL',
            errorMessage: isPgferryError(error) ? error.message : safeServerReason(error),
            errorStack: null,
          };
    } finally {
      clearTimeout(timeout);
      clearInterval(progressTimer);
    }
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    log.write({
      level: outcome.status === 'succeeded' ? 'info' : outcome.status === 'failed' ? 'error' : 'warn',
      message: `run ${outcome.status} after ${seconds} s${outcome.errorMessage ? `: ${outcome.errorMessage}` : ''}`,
    });
    await log.close();
    const kind = abortReason(controller.signal)?.kind;
    // A run taken from us was ended by whoever took it.
    if (kind === 'lost') return;
    await this.#complete(run, { ...outcome, tables: latest.tables, totalRows: latest.totalRows, totalBytes: latest.totalBytes }, kind === 'shutdown' && outcome.errorCode === 'PGF_WORKER_SHUTDOWN');
  }

  /** Stores the end of the run and its retry (or hand-back) in one transaction, then tells the listeners. */
  async #complete(run: RunRow, outcome: RunOutcome, handBack: boolean): Promise<void> {
    const { db, logger, workerId, events } = this.options;
    const store = () =>
      db.transaction().execute(async (tx) => {
        const row = await finishRun(tx, run.id, workerId, outcome);
        if (!row) return undefined;
        const next = handBack ? await queueHandBack(tx, row, logger) : await queueRetryIfAllowed(tx, row, logger);
        return { row, next };
      });
    let stored: Awaited<ReturnType<typeof store>>;
    // A store hiccup at the very end must not turn a finished run into a "lost worker" failure.
    for (let attempt = 1; ; attempt += 1) {
      try {
        stored = await store();
        break;
      } catch (error) {
        if (attempt >= 4) throw error;
        logger.warn({ err: error, runId: run.id, attempt }, 'could not store the end of the run; retrying');
        await new Promise((resolve) => setTimeout(resolve, 500 * 2 ** attempt));
      }
    }
    if (!stored) {
      logger.warn({ runId: run.id }, 'the run was ended by another party (reaped after a lapsed heartbeat) before it could be stored');
      return;
    }
    if (handBack) events.emit('run:handed-back', { run: stored.row, next: stored.next });
    events.emit('run:finished', { run: stored.row });
    await this.options.runFinished?.(stored.row).catch((error: unknown) => logger.warn({ err: error, runId: run.id }, 'run-finished hook failed'));
  }
}
