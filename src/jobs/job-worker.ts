import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';

import type { Kysely } from 'kysely';
import type pg from 'pg';

import type { Logger } from '../logger.js';
import { type OutboundCheck, allowAnyOutbound } from '../net/outbound-guard.js';
import type { SecretBox } from '../secrets/secret-box.js';
import { claimRuns, releaseClaimedRuns } from '../store/run-repository.js';
import type { RunRow, StoreDatabase } from '../store/store-types.js';
import type { RunExecutors } from './run-executor.js';
import type { ProtectionFigures } from './protection/protection-records.js';
import { listenForQueuedRuns } from '../store/run-wakeup.js';
import { type FollowEngine, followEngine } from './follow/follow-engine.js';
import { CronTicker } from './worker/cron-ticker.js';
import { FollowSupervisor } from './worker/follow-supervisor.js';
import { ProtectionSupervisor } from './worker/protection-supervisor.js';
import { RunSupervisor } from './worker/run-supervisor.js';
import { WorkerEvents } from './worker/worker-events.js';
import { WorkerMaintenance } from './worker/worker-maintenance.js';

export interface JobWorkerHooks {
  /** Called once a run has ended and been stored (notifications hang here). */
  runFinished?(run: RunRow): Promise<void>;
  /** Called on each maintenance pass (deliveries, overdue backups). */
  maintenance?(): Promise<void>;
  /** Called every poll, not awaited by it (e.g. to start sending due notification deliveries). */
  poll?(): Promise<void>;
  /** Called when a follower's progress was stored (threshold notifications hang here). */
  followProgress?(jobId: string, figures: { retainedBytes: number | null; lagSeconds: number | null; lagBytes: number | null }): Promise<void>;
  /** Called when a follower failed for good and its job was paused (notifications hang here). */
  followFailed?(jobId: string, code: string, message: string): Promise<void>;
  /** Called when a protection's progress was stored (threshold notifications hang here). */
  protectionProgress?(connectionId: string, figures: ProtectionFigures): Promise<void>;
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
  /** The continuous-sync engine (default: the real one). */
  followEngine?: FollowEngine;
  /** Continuous-sync jobs followed at once in this process (default: 4; 0 = none). */
  maxFollowers?: number;
  /** How often a follower's progress is stored (default: 5000 ms). */
  followProgressIntervalMs?: number;
  /** First wait before a failed follower is started again (default: 10000 ms). */
  followRetryDelayMs?: number;
  /** Protected connections streamed at once in this process (default: 4; 0 = none). */
  maxProtectionStreams?: number;
  /** How often a protection's progress is stored (default: 5000 ms). */
  protectionProgressIntervalMs?: number;
  /** First wait before a failed protection stream is started again (default: 10000 ms). */
  protectionRetryDelayMs?: number;
  /** Where WAL segments are assembled before upload (default: <tmpdir>/pgferry-wal-spool). */
  walSpoolDir?: string;
}

/**
 * One worker: a cron ticker, a claimer (SKIP LOCKED, up to its concurrency), a run supervisor
 * (execution, heartbeat, timeout, cancel, hand-back) and maintenance (reaping dead workers'
 * runs, retention), driven by a poll loop and timers. Any number of workers in any number of
 * processes share one store. `events` tells what happened, for tests and embedders.
 */
export class JobWorker {
  readonly workerId: string;
  readonly events: WorkerEvents;
  readonly #options: Required<Pick<JobWorkerOptions, 'concurrency' | 'pollIntervalMs' | 'heartbeatIntervalMs' | 'maintenanceIntervalMs'>> & JobWorkerOptions;
  readonly #ticker: CronTicker;
  readonly #runs: RunSupervisor;
  readonly #protections: ProtectionSupervisor;
  readonly #maintenance: WorkerMaintenance;
  readonly #followers: FollowSupervisor;
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
    const defined = Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as JobWorkerOptions;
    this.#options = { concurrency: 2, pollIntervalMs: 500, heartbeatIntervalMs: 2000, maintenanceIntervalMs: 10 * 60_000, ...defined };
    const { db, logger, hooks } = this.#options;
    this.workerId = options.workerId ?? `${os.hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
    this.events = new WorkerEvents((error, event) => logger.warn({ err: error, event }, 'a worker event listener failed'));
    this.#ticker = new CronTicker({ db, logger, events: this.events, fireTicks: options.scheduler ?? true });
    this.#runs = new RunSupervisor({ db, logger, secrets: options.secrets, outbound: options.outbound ?? allowAnyOutbound, executors: options.executors, workerId: this.workerId, events: this.events, runFinished: hooks?.runFinished?.bind(hooks) });
    // A follower's lease lapses like a run's heartbeat: after deadAfterMs another worker takes it.
    this.#followers = new FollowSupervisor({
      db,
      secrets: options.secrets,
      outbound: options.outbound ?? allowAnyOutbound,
      logger,
      engine: options.followEngine ?? followEngine,
      workerId: this.workerId,
      events: this.events,
      maxFollowers: options.maxFollowers ?? 4,
      leaseMs: options.deadAfterMs ?? 30_000,
      progressIntervalMs: options.followProgressIntervalMs ?? 5000,
      retryDelayMs: options.followRetryDelayMs ?? 10_000,
      progressStored: hooks?.followProgress
        ? (jobId, progress) => hooks.followProgress!(jobId, { retainedBytes: progress.retainedBytes, lagSeconds: progress.lagSeconds, lagBytes: progress.lagBytes })
        : undefined,
      followFailed: hooks?.followFailed ? (jobId, code, message) => hooks.followFailed!(jobId, code, message) : undefined,
    });
    // A protection's lease lapses like a run's heartbeat: after deadAfterMs another worker takes it.
    this.#protections = new ProtectionSupervisor({
      db,
      secrets: options.secrets,
      outbound: options.outbound ?? allowAnyOutbound,
      logger,
      workerId: this.workerId,
      events: this.events,
      maxStreams: options.maxProtectionStreams ?? 4,
      leaseMs: options.deadAfterMs ?? 30_000,
      progressIntervalMs: options.protectionProgressIntervalMs ?? 5000,
      retryDelayMs: options.protectionRetryDelayMs ?? 10_000,
      spoolDir: options.walSpoolDir ?? path.join(os.tmpdir(), 'pgferry-wal-spool'),
      progressStored: hooks?.protectionProgress?.bind(hooks),
    });
    this.#maintenance = new WorkerMaintenance({
      db,
      logger,
      events: this.events,
      deadAfterMs: options.deadAfterMs ?? 30_000,
      logRetentionDays: options.logRetentionDays ?? 30,
      runFinished: hooks?.runFinished?.bind(hooks),
      extra: hooks?.maintenance?.bind(hooks),
    });
  }

  get activeRunIds(): string[] {
    return this.#runs.activeRunIds;
  }

  /** Continuous-sync jobs this worker follows now. */
  get followedJobIds(): string[] {
    return this.#followers.activeJobIds;
  }

  /** Connections whose WAL this worker streams now (or whose slot it is dropping). */
  get protectedConnectionIds(): string[] {
    return this.#protections.activeConnectionIds;
  }

  start(): void {
    const { pollIntervalMs, heartbeatIntervalMs, maintenanceIntervalMs, listenPool, logger } = this.#options;
    this.#timers.push(setInterval(() => void this.poll(), pollIntervalMs));
    this.#heartbeatTimer = setInterval(() => void this.heartbeat(), heartbeatIntervalMs);
    this.#timers.push(setInterval(() => void this.maintenance(), maintenanceIntervalMs));
    if (listenPool) this.#listener = listenForQueuedRuns(listenPool, () => void this.poll(), logger);
    void this.poll();
    setTimeout(() => void this.maintenance(), 1000).unref();
    logger.info({ workerId: this.workerId, concurrency: this.#options.concurrency }, 'job worker started');
  }

  /** One pass: fire due ticks, then claim what fits. Overlapping calls fold into one more pass. */
  async poll(): Promise<void> {
    if (this.#stopping) return;
    if (this.#polling) {
      this.#pollAgain = true;
      return;
    }
    this.#polling = true;
    let finished = () => {};
    this.#pollDone = new Promise<void>((resolve) => (finished = resolve));
    try {
      do {
        this.#pollAgain = false;
        await this.#ticker.fire();
        await this.#claim();
        if (!this.#stopping) await this.#followers.claim();
        if (!this.#stopping) await this.#protections.claim();
        // Not awaited: a slow webhook must not hold up ticks and claims.
        void this.#options.hooks?.poll?.().catch((error: unknown) => this.#options.logger.warn({ err: error }, 'poll hook failed'));
      } while (this.#pollAgain && !this.#stopping);
      await this.#aimAtNextDue();
    } catch (error) {
      this.#options.logger.warn({ err: error }, 'worker poll failed; retrying at the next interval');
    } finally {
      this.#polling = false;
      finished();
    }
  }

  /** Polling alone would start a tick up to one interval late: a one-shot timer aims at it. */
  async #aimAtNextDue(): Promise<void> {
    const ms = await this.#ticker.msUntilNextDue();
    if (ms === undefined || ms >= this.#options.pollIntervalMs || this.#stopping) return;
    clearTimeout(this.#aimed);
    this.#aimed = setTimeout(() => void this.poll(), Math.max(0, ms) + 2);
  }

  async #claim(): Promise<void> {
    const free = this.#options.concurrency - this.#runs.size;
    if (free <= 0 || this.#stopping) return;
    const runs = await claimRuns(this.#options.db, this.workerId, free);
    if (this.#stopping) {
      // Shutdown began while claiming: these runs never start here; other workers take them.
      await releaseClaimedRuns(this.#options.db, this.workerId, runs.map((run) => run.id));
      if (runs.length > 0) this.events.emit('run:released', { runIds: runs.map((run) => run.id) });
      return;
    }
    for (const run of runs) {
      this.events.emit('run:claimed', { run });
      // A slot came free: look for more work now rather than at the next interval.
      this.#runs.start(run, () => void (this.#stopping ? undefined : this.poll()));
    }
  }

  /** Proves our runs alive (and hears cancel requests), then fails runs of dead workers. */
  async heartbeat(): Promise<void> {
    try {
      await this.#runs.heartbeat();
      await this.#followers.heartbeat();
      await this.#protections.heartbeat();
      await this.#maintenance.reapDeadRuns();
    } catch (error) {
      this.#options.logger.warn({ err: error }, 'heartbeat failed; retrying at the next interval');
    }
  }

  async maintenance(): Promise<void> {
    try {
      await this.#maintenance.retention();
    } catch (error) {
      this.#options.logger.warn({ err: error }, 'maintenance failed; retrying at the next interval');
    }
  }

  /**
   * Stops claiming; waits up to `graceMs` for running runs, then aborts them and hands each
   * back (ended, and queued once for another worker). Resolves when every run is stored.
   */
  async stop(graceMs = 10_000): Promise<void> {
    this.#stopping = true;
    clearTimeout(this.#aimed);
    await this.#listener?.stop();
    for (const timer of this.#timers) clearInterval(timer);
    this.#timers = [];
    // A poll in flight may be claiming: wait for it (it hands back what it claimed).
    await this.#pollDone;
    // Followers never finish on their own: they stop now, cleanly, and give their leases up.
    await this.#followers.stopAll();
    // Streams never finish on their own: they stop now, cleanly, and give their leases up (outside the runs' grace).
    await this.#protections.stopAll();
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), graceMs);
    });
    const result = await Promise.race([this.#runs.drained().then(() => 'done' as const), graceOver]);
    clearTimeout(timer);
    if (result === 'timeout') {
      this.#runs.abortAll({ kind: 'shutdown', message: 'the worker shut down before the run finished; it was handed back to run again' });
      await this.#runs.drained();
    }
    // Only now: a run still draining kept its heartbeat (and noticed cancel requests), so no
    // other worker reaped it and started its retry beside it.
    clearInterval(this.#heartbeatTimer);
    this.#options.logger.info({ workerId: this.workerId }, 'job worker stopped');
    this.events.emit('worker:stopped', { workerId: this.workerId });
  }
}
