import type { Kysely } from 'kysely';

import type { FollowProgress } from '../../engine/follow/follow-api.js';
import { safeServerReason } from '../../engine/sql/safe-server-reason.js';
import { isPgferryError } from '../../errors/pgferry-error.js';
import type { Logger } from '../../logger.js';
import type { OutboundCheck } from '../../net/outbound-guard.js';
import type { SecretBox } from '../../secrets/secret-box.js';
import { claimFollowLeases, getFollowJob, recordFollowError, releaseFollowLease, renewFollowLeases, saveFollowProgress, setFollowPaused } from '../../store/follow-job-repository.js';
import type { StoreDatabase } from '../../store/store-types.js';
import type { FollowEngine } from '../follow/follow-engine.js';
import { followJobOptions } from '../follow/follow-job-options.js';
import { progressRecord } from '../follow/follow-records.js';
import type { WorkerEvents } from './worker-events.js';

export interface FollowSupervisorOptions {
  db: Kysely<StoreDatabase>;
  secrets: SecretBox;
  outbound: OutboundCheck;
  logger: Logger;
  engine: FollowEngine;
  workerId: string;
  events: WorkerEvents;
  /** Followers at once in this process. */
  maxFollowers: number;
  /** A lease not renewed for this long is free for another worker to take. */
  leaseMs: number;
  /** How often the latest progress is stored (and thresholds checked). */
  progressIntervalMs: number;
  /** After a failure, the job waits this long before any worker starts it again (doubling up to 5 min). */
  retryDelayMs: number;
  /** Called with each stored progress (notifications check the job's thresholds here). */
  progressStored?: ((jobId: string, progress: FollowProgress) => Promise<void>) | undefined;
  /** Called when a follower failed and its job was paused for someone to act (notifications). */
  followFailed?: ((jobId: string, code: string, message: string) => Promise<void>) | undefined;
}

interface ActiveFollower {
  controller: AbortController;
  done: Promise<void>;
}

export type FollowStopReason = 'paused' | 'lost' | 'shutdown';

/**
 * Failures that starting again cannot cure (the source's settings, a table without replica
 * identity, an incompatible schema change, a change the destination refuses): the job is
 * paused with the error as its reason, for someone to fix and resume. Others (a dropped
 * stream, a server restarting) are retried with back-off.
 */
const needsAttention = new Set(['PGF_FOLLOW_NOT_READY', 'PGF_FOLLOW_REPLICA_IDENTITY', 'PGF_FOLLOW_SCHEMA_CHANGED', 'PGF_FOLLOW_DEFINITION_CHANGED', 'PGF_FOLLOW_APPLY_FAILED', 'PGF_DESTINATION_PROTECTED']);

/**
 * Runs the continuous-sync jobs whose lease this worker holds: exactly one follower per job
 * across all workers, because a follower runs only under a lease that is taken with SKIP
 * LOCKED, renewed by the heartbeat and expires when its worker dies. A job paused, disabled or
 * dropped is not renewed, so its follower stops; another worker takes a lapsed lease and the
 * engine resumes from the position stored in the destination.
 */
export class FollowSupervisor {
  readonly #active = new Map<string, ActiveFollower>();
  readonly #failures = new Map<string, number>();

  constructor(private readonly options: FollowSupervisorOptions) {}

  get activeJobIds(): string[] {
    return [...this.#active.keys()];
  }

  async claim(): Promise<void> {
    const { db, workerId, maxFollowers, leaseMs, events } = this.options;
    const ids = await claimFollowLeases(db, workerId, maxFollowers - this.#active.size, leaseMs);
    for (const jobId of ids) {
      if (this.#active.has(jobId)) continue;
      events.emit('follow:started', { jobId, workerId });
      this.#start(jobId);
    }
  }

  /** Renews our leases; a follower whose lease was not renewed stops (paused, disabled, dropped or taken over). */
  async heartbeat(): Promise<void> {
    const ids = this.activeJobIds;
    if (ids.length === 0) return;
    const renewed = await renewFollowLeases(this.options.db, this.options.workerId, ids, this.options.leaseMs);
    for (const id of ids) if (!renewed.has(id)) this.stop(id, 'paused');
  }

  stop(jobId: string, reason: FollowStopReason): void {
    const entry = this.#active.get(jobId);
    if (!entry || entry.controller.signal.aborted) return;
    this.options.logger.info({ jobId, reason }, 'stopping follower');
    entry.controller.abort(reason);
  }

  /** Stops every follower (they stop cleanly, the slots stay) and gives their leases up. */
  async stopAll(): Promise<void> {
    for (const id of this.activeJobIds) this.stop(id, 'shutdown');
    await Promise.all([...this.#active.values()].map((entry) => entry.done));
  }

  #start(jobId: string): void {
    const controller = new AbortController();
    const entry: ActiveFollower = { controller, done: Promise.resolve() };
    this.#active.set(jobId, entry);
    entry.done = this.#follow(jobId, controller)
      .catch((error: unknown) => this.options.logger.error({ err: error, jobId }, 'follower bookkeeping failed'))
      .finally(() => this.#active.delete(jobId));
  }

  async #follow(jobId: string, controller: AbortController): Promise<void> {
    const { db, secrets, outbound, engine, workerId, logger: baseLogger, events } = this.options;
    const logger = baseLogger.child({ followJobId: jobId });
    let latest: FollowProgress | undefined;
    let saved: FollowProgress | undefined;
    const save = async () => {
      const progress = latest;
      if (!progress || progress === saved) return;
      saved = progress;
      await saveFollowProgress(db, workerId, jobId, progressRecord(progress));
      await this.options.progressStored?.(jobId, progress);
      events.emit('follow:progress', { jobId, progress });
    };
    const timer = setInterval(() => void save().catch((error: unknown) => logger.warn({ err: error }, 'could not store the follower progress')), this.options.progressIntervalMs);
    let failed = false;
    try {
      const job = await getFollowJob(db, jobId);
      const options = await followJobOptions(db, secrets, outbound, job);
      logger.info({ job: job.name }, `following ${options.sourceName} → ${options.destinationName}`);
      const result = await engine.follow(options, { signal: controller.signal, onProgress: (progress) => (latest = progress), logger });
      logger.info({ appliedLsn: result.appliedLsn, changes: result.changesApplied }, 'follower stopped');
      this.#failures.delete(jobId);
      await recordFollowError(db, jobId, null, null);
    } catch (error) {
      if (controller.signal.aborted) {
        logger.info({ err: error }, 'follower stopped while stopping');
      } else {
        failed = true;
        if (!isPgferryError(error)) logger.error({ err: error }, 'the follower failed with an unexpected error');
        const code = isPgferryError(error) ? error.code : 'PGF_INTERNAL';
        const message = isPgferryError(error) ? error.message : safeServerReason(error);
        logger.error({ code }, `follower failed: ${message}`);
        await recordFollowError(db, jobId, code, message).catch(() => undefined);
        if (needsAttention.has(code)) {
          await setFollowPaused(db, jobId, true, `stopped by ${code}; fix the cause, then resume`).catch(() => undefined);
          await this.options.followFailed?.(jobId, code, message).catch((hookError: unknown) => logger.warn({ err: hookError }, 'follow-failed hook failed'));
        }
      }
    } finally {
      clearInterval(timer);
    }
    await save().catch((error: unknown) => logger.warn({ err: error }, 'could not store the final follower progress'));
    // A failed follower waits before anyone starts it again: a broken job must not spin.
    const attempts = failed ? (this.#failures.get(jobId) ?? 0) + 1 : 0;
    if (failed) this.#failures.set(jobId, attempts);
    const delayMs = failed ? Math.min(300_000, this.options.retryDelayMs * 2 ** (attempts - 1)) : 0;
    await releaseFollowLease(db, workerId, jobId, delayMs);
    const reason = controller.signal.reason as FollowStopReason | undefined;
    events.emit('follow:stopped', { jobId, workerId, reason: failed ? 'failed' : (reason ?? 'ended') });
  }
}
