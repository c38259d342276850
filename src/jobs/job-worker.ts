import { randomBytes } from 'node:crypto';
import os from 'node:os';

import { type Kysely, sql } from 'kysely';
import type pg from 'pg';

import { safeServerReason } from '../engine/sql/safe-server-reason.js';
import { PgferryError, isPgferryError } from '../errors/pgferry-error.js';
import type { Logger } from '../logger.js';
import { type OutboundCheck, allowAnyOutbound } from '../net/outbound-guard.js';
import type { SecretBox } from '../secrets/secret-box.js';
import { pruneRunHistory } from '../store/run-log-repository.js';
import { type RunOutcome, claimRuns, finishRun, heartbeatRuns, reapDeadRuns, releaseClaimedRuns, saveRunProgress } from '../store/run-repository.js';
import { missingObjectsMessage } from '../store/run-statuses.js';
import type { RunRow, StoreDatabase } from '../store/store-types.js';
import { scheduleDueJobs } from './job-scheduler.js';
import type { RunExecutors, RunProgress, RunResult } from './run-executor.js';
import { RunLogWriter } from './run-log-writer.js';
import { listenForQueuedRuns } from './run-wakeup.js';
import { loadJobPolicy, queueRetryIfAllowed } from './run-retry.js';

export interface JobWorkerHooks {
  /** Called once a run has ended and been stored (notifications hang here). */
  runFinished?(run: RunRow): Promise<void>;
  /** Called on each maintenance pass (deliveries, overdue backups). */
  maintenance?(): Promise<void>;
  /** Called every poll (e.g. to send due notification deliveries). */
  poll?(): Promise<void>;
}

export interface JobWorkerOptions {
  db: Kysely<StoreDatabase>;
  secrets: SecretBox;
  /** PGFERRY_OUTBOUND_ALLOW for the runs' connections and storages (default: everything allowed; startJobWorker passes the configured one). */
  outbound?: OutboundCheck;
  logger: Logger;
  executors: RunExecutors;
  /** Runs at once in this process (default: 2). */
  concurrency?: number;
  workerId?: string;
  /** Whether this process also fires cron ticks (default: true; safe in every process). */
  scheduler?: boolean;
  /** How often to look for due ticks and queued runs (default: 500 ms). */
  pollIntervalMs?: number;
  /** How often running runs prove they are alive (default: 2000 ms). */
  heartbeatIntervalMs?: number;
  /** A running run whose heartbeat is older than this is failed (default: 30000 ms). */
  deadAfterMs?: number;
  /** Runs and log lines older than this many days are pruned (default: 30). */
  logRetentionDays?: number;
  /** How often retention and other maintenance run (default: 10 minutes). */
  maintenanceIntervalMs?: number;
  hooks?: JobWorkerHooks;
  /** Pool to LISTEN for queued runs on, so run-now starts without waiting for a poll. */
  listenPool?: pg.Pool | undefined;
}

interface ActiveRun {
  run: RunRow;
  controller: AbortController;
  done: Promise<void>;
}

type ResolvedOptions = Required<Omit<JobWorkerOptions, 'workerId' | 'hooks' | 'listenPool'>> & { hooks: JobWorkerHooks; listenPool?: pg.Pool | undefined };

type AbortReason = { kind: 'cancel' | 'timeout' | 'lost' | 'shutdown'; message: string };

/** Abort reasons carry what happened, so the run ends with the right status and message. */
function abortReason(signal: AbortSignal): AbortReason | undefined {
  const reason = signal.reason as AbortReason | undefined;
  return signal.aborted && reason && typeof reason === 'object' && 'kind' in reason ? reason : undefined;
}

/**
 * Fires cron ticks, claims queued runs (SKIP LOCKED) up to its concurrency, runs them with an
 * AbortSignal, heartbeats them, fails runs of dead workers, and prunes old history. Any number
 * of workers in any number of processes share one store.
 */
export class JobWorker {
  readonly workerId: string;
  readonly #options: ResolvedOptions;
  readonly #active = new Map<string, ActiveRun>();
  #timers: NodeJS.Timeout[] = [];
  // Kept apart from the other timers: runs are proven alive until they have really ended.
  #heartbeatTimer: NodeJS.Timeout | undefined;
  #pollDone: Promise<void> = Promise.resolve();
  #stopping = false;
  #polling = false;
  #pollAgain = false;
  #aimed: NodeJS.Timeout | undefined;
  #listener: { stop(): Promise<void> } | undefined;

  constructor(options: JobWorkerOptions) {
    this.workerId = options.workerId ?? `${os.hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
    this.#options = {
      concurrency: 2,
      scheduler: true,
      pollIntervalMs: 500,
      heartbeatIntervalMs: 2000,
      deadAfterMs: 30_000,
      logRetentionDays: 30,
      maintenanceIntervalMs: 10 * 60_000,
      hooks: {},
      ...Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)),
    } as ResolvedOptions;
  }

  get activeRunIds(): string[] {
    return [...this.#active.keys()];
  }

  start(): void {
    const { pollIntervalMs, heartbeatIntervalMs, maintenanceIntervalMs } = this.#options;
    this.#every(pollIntervalMs, () => this.poll());
    this.#heartbeatTimer = setInterval(() => void this.heartbeat(), heartbeatIntervalMs);
    this.#every(maintenanceIntervalMs, () => this.maintenance());
    if (this.#options.listenPool) this.#listener = listenForQueuedRuns(this.#options.listenPool, () => void this.poll(), this.#options.logger);
    void this.poll();
    setTimeout(() => void this.maintenance(), 1000).unref();
    this.#options.logger.info({ workerId: this.workerId, concurrency: this.#options.concurrency }, 'job worker started');
  }

  #every(ms: number, work: () => Promise<unknown>): void {
    const timer = setInterval(() => void work(), ms);
    this.#timers.push(timer);
  }

  /** One pass: fire due ticks, then claim what fits. Overlapping calls fold into one more pass. */
  async poll(): Promise<void> {
    if (this.#stopping) return;
    if (this.#polling) {
      this.#pollAgain = true;
      return;
    }
    this.#polling = true;
    const { promise, resolve: finished } = withResolvers();
    this.#pollDone = promise;
    try {
      do {
        this.#pollAgain = false;
        if (this.#options.scheduler) await scheduleDueJobs(this.#options.db, this.#options.logger);
        await this.#claim();
        await this.#options.hooks.poll?.();
      } while (this.#pollAgain && !this.#stopping);
      await this.#aimAtNextDue();
    } catch (error) {
      this.#options.logger.warn({ err: error }, 'worker poll failed; retrying at the next interval');
    } finally {
      this.#polling = false;
      finished();
    }
  }

  /**
   * Polling alone would start a tick up to one interval late; a one-shot timer aimed at the
   * earliest upcoming tick (or retry) brings it to within a few milliseconds.
   */
  async #aimAtNextDue(): Promise<void> {
    const { pollIntervalMs, scheduler } = this.#options;
    const result = await sql<{ ms: number | null }>`
      SELECT (extract(epoch FROM least(
        ${scheduler ? sql`(SELECT min(next_fire_at) FROM sync_jobs WHERE enabled AND cron IS NOT NULL)` : sql`NULL::timestamptz`},
        ${scheduler ? sql`(SELECT min(next_fire_at) FROM backup_jobs WHERE enabled AND cron IS NOT NULL)` : sql`NULL::timestamptz`},
        (SELECT min(scheduled_for) FROM runs WHERE status = 'queued' AND scheduled_for > now())
      ) - now()) * 1000)::float8 AS ms`.execute(this.#options.db);
    const ms = result.rows[0]?.ms;
    if (ms === null || ms === undefined || ms >= pollIntervalMs || this.#stopping) return;
    clearTimeout(this.#aimed);
    this.#aimed = setTimeout(() => void this.poll(), Math.max(0, ms) + 2);
  }

  async #claim(): Promise<void> {
    const free = this.#options.concurrency - this.#active.size;
    if (free <= 0 || this.#stopping) return;
    const runs = await claimRuns(this.#options.db, this.workerId, free);
    if (this.#stopping) {
      // Shutdown began while claiming: these runs never start here; other workers take them.
      await releaseClaimedRuns(this.#options.db, this.workerId, runs.map((run) => run.id));
      return;
    }
    for (const run of runs) this.#start(run);
  }

  #start(run: RunRow): void {
    const controller = new AbortController();
    const entry: ActiveRun = { run, controller, done: Promise.resolve() };
    this.#active.set(run.id, entry);
    entry.done = this.#execute(run, controller)
      .catch((error: unknown) => this.#options.logger.error({ err: error, runId: run.id }, 'run bookkeeping failed'))
      .finally(() => {
        this.#active.delete(run.id);
        // A slot came free: look for more work now rather than at the next interval.
        if (!this.#stopping) void this.poll();
      });
  }

  async #execute(run: RunRow, controller: AbortController): Promise<void> {
    const { db, logger: baseLogger, secrets } = this.#options;
    const logger = baseLogger.child({ runId: run.id, job: run.job_name });
    const policy = await loadJobPolicy(db, run);
    const log = new RunLogWriter(db, run.id, logger);
    const timeout =
      policy.timeout_s === null
        ? undefined
        : setTimeout(
            () => controller.abort({ kind: 'timeout', message: `run exceeded the job's timeout of ${policy.timeout_s} s and was stopped` }),
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
    log.write({ level: 'info', message: `run started on worker ${this.workerId} (attempt ${run.attempt}, trigger ${run.trigger})` });
    try {
      const executor = this.#options.executors[run.kind];
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
        outbound: this.#options.outbound ?? allowAnyOutbound,
        logger,
        workerId: this.workerId,
      });
      latest = result;
      const reason = abortReason(controller.signal);
      outcome = reason && result.status === 'failed' ? this.#abortedOutcome(reason) : finishedOutcome(result);
    } catch (error) {
      const reason = abortReason(controller.signal);
      // Viewers read the run: its message has no row values and no stack (server paths); the process log has both.
      if (!reason && !isPgferryError(error)) logger.error({ err: error }, 'the run failed with an unexpected error');
      outcome = reason
        ? this.#abortedOutcome(reason)
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
    if (abortReason(controller.signal)?.kind === 'lost') return;
    await this.#complete(run, { ...outcome, tables: latest.tables, totalRows: latest.totalRows, totalBytes: latest.totalBytes });
  }

  #abortedOutcome(reason: AbortReason): RunOutcome {
    if (reason.kind === 'cancel') return { status: 'cancelled', errorCode: 'PGF_RUN_CANCELLED', errorMessage: reason.message };
    if (reason.kind === 'timeout') return { status: 'failed', errorCode: 'PGF_RUN_TIMEOUT', errorMessage: reason.message };
    return { status: 'failed', errorCode: 'PGF_WORKER_LOST', errorMessage: reason.message };
  }

  /** Stores the end of the run and its retry in one transaction, then tells the hooks. */
  async #complete(run: RunRow, outcome: RunOutcome): Promise<void> {
    const { db, logger } = this.#options;
    const store = () =>
      db.transaction().execute(async (tx) => {
        const row = await finishRun(tx, run.id, this.workerId, outcome);
        if (row) await queueRetryIfAllowed(tx, row, logger);
        return row;
      });
    let finished: RunRow | undefined;
    // A store hiccup at the very end must not turn a finished run into a "lost worker" failure.
    for (let attempt = 1; ; attempt += 1) {
      try {
        finished = await store();
        break;
      } catch (error) {
        if (attempt >= 4) throw error;
        logger.warn({ err: error, runId: run.id, attempt }, 'could not store the end of the run; retrying');
        await new Promise((resolve) => setTimeout(resolve, 500 * 2 ** attempt));
      }
    }
    if (!finished) {
      logger.warn({ runId: run.id }, 'the run was ended by another party (reaped after a lapsed heartbeat) before it could be stored');
      return;
    }
    await this.#options.hooks.runFinished?.(finished).catch((error: unknown) => logger.warn({ err: error, runId: run.id }, 'run-finished hook failed'));
  }

  /** Proves our runs alive, picks up cancel requests, and fails runs of dead workers. */
  async heartbeat(): Promise<void> {
    const { db, logger } = this.#options;
    try {
      const ids = this.activeRunIds;
      const alive = await heartbeatRuns(db, this.workerId, ids);
      const aliveIds = new Set(alive.map((row) => row.id));
      for (const row of alive) {
        if (row.cancel_requested_at) this.#abort(row.id, { kind: 'cancel', message: 'cancelled on request' });
      }
      for (const id of ids) {
        // Only runs still running here: one that just finished is simply gone from the table's "running" set.
        const entry = this.#active.get(id);
        if (!aliveIds.has(id) && entry && !entry.controller.signal.aborted) {
          const current = await db.selectFrom('runs').select(['status', 'worker_id']).where('id', '=', id).executeTakeFirst();
          if (current && (current.status !== 'running' || current.worker_id !== this.workerId)) {
            this.#abort(id, { kind: 'lost', message: 'the run was taken from this worker (its heartbeat lapsed)' });
          }
        }
      }
      const reaped = await db.transaction().execute(async (tx) => {
        const rows = await reapDeadRuns(tx, this.#options.deadAfterMs);
        for (const row of rows) {
          await tx.insertInto('run_logs').values({ run_id: row.id, level: 'error', message: row.error_message ?? 'worker lost' }).execute();
          await queueRetryIfAllowed(tx, row, logger);
        }
        return rows;
      });
      for (const row of reaped) {
        logger.warn({ runId: row.id, deadWorker: row.worker_id }, `run ${row.id} failed: its worker stopped heartbeating`);
        await this.#options.hooks.runFinished?.(row).catch(() => undefined);
      }
    } catch (error) {
      logger.warn({ err: error }, 'heartbeat failed; retrying at the next interval');
    }
  }

  #abort(runId: string, reason: AbortReason): void {
    const entry = this.#active.get(runId);
    if (entry && !entry.controller.signal.aborted) {
      this.#options.logger.info({ runId, reason: reason.kind }, `aborting run: ${reason.message}`);
      entry.controller.abort(reason);
    }
  }

  /** Retention of runs and log lines, once per interval across all workers (advisory lock). */
  async maintenance(): Promise<void> {
    const { db, logger, logRetentionDays } = this.#options;
    try {
      await db.connection().execute(async (connection) => {
        const locked = await sql<{ locked: boolean }>`SELECT pg_try_advisory_lock(hashtext('pgferry.maintenance')) AS locked`.execute(connection);
        if (!locked.rows[0]?.locked) return;
        try {
          const pruned = await pruneRunHistory(connection, logRetentionDays);
          if (pruned.runs + pruned.logs > 0) logger.info(pruned, `pruned run history older than ${logRetentionDays} days`);
          await this.#options.hooks.maintenance?.();
        } finally {
          await sql`SELECT pg_advisory_unlock(hashtext('pgferry.maintenance'))`.execute(connection);
        }
      });
    } catch (error) {
      logger.warn({ err: error }, 'maintenance failed; retrying at the next interval');
    }
  }

  /**
   * Stops claiming; waits up to `graceMs` for running runs, then aborts them (they end failed
   * with a retry per policy). Resolves when every run is stored.
   */
  async stop(graceMs = 10_000): Promise<void> {
    this.#stopping = true;
    clearTimeout(this.#aimed);
    await this.#listener?.stop();
    for (const timer of this.#timers) clearInterval(timer);
    this.#timers = [];
    // A poll in flight may be claiming: wait for it (it hands back what it claimed).
    await this.#pollDone;
    const all = () => Promise.all([...this.#active.values()].map((entry) => entry.done));
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), graceMs);
    });
    const result = await Promise.race([all().then(() => 'done' as const), graceOver]);
    clearTimeout(timer);
    if (result === 'timeout') {
      for (const id of this.activeRunIds) this.#abort(id, { kind: 'shutdown', message: 'the worker shut down before the run finished' });
      await all();
    }
    // Only now: a run still draining kept its heartbeat (and noticed cancel requests), so no
    // other worker reaped it and started its retry beside it.
    clearInterval(this.#heartbeatTimer);
    this.#options.logger.info({ workerId: this.workerId }, 'job worker stopped');
  }
}

/** What a returned result stores: errors for failed runs, the missing objects for incomplete ones. */
function finishedOutcome(result: RunResult): RunOutcome {
  if (result.status === 'succeeded') return { status: 'succeeded', errorCode: null, errorMessage: null };
  if (result.status === 'failed') {
    return { status: 'failed', missingObjects: result.missingObjects ?? [], errorCode: result.errorCode ?? 'PGF_INTERNAL', errorMessage: result.errorMessage ?? 'the run failed' };
  }
  const missing = result.missingObjects ?? [];
  return {
    status: 'incomplete',
    missingObjects: missing,
    errorCode: result.errorCode ?? 'PGF_RUN_INCOMPLETE',
    errorMessage: result.errorMessage ?? missingObjectsMessage(missing),
  };
}

/** Promise.withResolvers (Node 22+) for Node 20. */
function withResolvers(): { promise: Promise<void>; resolve: () => void } {
  let resolve = () => {};
  const promise = new Promise<void>((done) => (resolve = done));
  return { promise, resolve };
}
