import path from 'node:path';

import type { Kysely } from 'kysely';

import { type WalStreamProgress, streamWal } from '../../engine/wal/wal-streamer.js';
import { safeServerReason } from '../../engine/sql/safe-server-reason.js';
import { isPgferryError } from '../../errors/pgferry-error.js';
import type { Logger } from '../../logger.js';
import type { OutboundCheck } from '../../net/outbound-guard.js';
import type { SecretBox } from '../../secrets/secret-box.js';
import {
  claimProtectionLeases,
  type ProtectionRow,
  recordProtectionError,
  releaseProtectionLease,
  renewProtectionLeases,
  saveProtectionProgress,
} from '../../store/protection-repository.js';
import type { StoreDatabase } from '../../store/store-types.js';
import { type ProtectionFigures, protectionProgressRecord } from '../protection/protection-records.js';
import { dropProtectionSlot } from '../protection/drop-protection-slot.js';
import { loadProtectionTarget } from '../protection/protection-target.js';
import { slotRetainedBytes } from '../protection/slot-retained-bytes.js';
import type { WorkerEvents } from './worker-events.js';

export interface ProtectionSupervisorOptions {
  db: Kysely<StoreDatabase>;
  secrets: SecretBox;
  outbound: OutboundCheck;
  logger: Logger;
  workerId: string;
  events: WorkerEvents;
  /** Streams at once in this process. */
  maxStreams: number;
  /** A lease not renewed for this long is free for another worker to take. */
  leaseMs: number;
  /** How often the latest progress is stored (and thresholds checked). */
  progressIntervalMs: number;
  /** After a failure, the protection waits this long before any worker starts it again (doubling up to 5 min). */
  retryDelayMs: number;
  /** Local directory where segments are assembled (a subdirectory per connection). */
  spoolDir: string;
  /** Called with each stored progress (notifications check the thresholds here). */
  progressStored?: ((connectionId: string, figures: ProtectionFigures) => Promise<void>) | undefined;
}

interface ActiveStream {
  controller: AbortController;
  done: Promise<void>;
  /** The settings' version this stream runs with: a newer one restarts it. */
  updatedAt: Date | undefined;
}

export type ProtectionStopReason = 'disabled' | 'changed' | 'shutdown';

/**
 * Runs the WAL streams of the protections whose lease this worker holds: exactly one streamer
 * per source across all workers, because a streamer runs only under a lease taken with SKIP
 * LOCKED, renewed by the heartbeat and lapsing when its worker dies. Another worker then takes
 * the lease and the engine resumes after the last segment in storage (the slot kept the rest).
 * A disabled protection is not renewed: its streamer stops and its slot is dropped.
 */
export class ProtectionSupervisor {
  readonly #active = new Map<string, ActiveStream>();
  readonly #failures = new Map<string, number>();

  constructor(private readonly options: ProtectionSupervisorOptions) {}

  get activeConnectionIds(): string[] {
    return [...this.#active.keys()];
  }

  async claim(): Promise<void> {
    const { db, workerId, maxStreams, leaseMs } = this.options;
    const ids = await claimProtectionLeases(db, workerId, maxStreams - this.#active.size, leaseMs);
    for (const connectionId of ids) if (!this.#active.has(connectionId)) this.#start(connectionId);
  }

  /** Renews our leases; a stream whose lease was not renewed stops (disabled or taken over), one whose settings changed restarts. */
  async heartbeat(): Promise<void> {
    const ids = this.activeConnectionIds;
    if (ids.length === 0) return;
    const renewed = await renewProtectionLeases(this.options.db, this.options.workerId, ids, this.options.leaseMs);
    for (const id of ids) {
      const entry = this.#active.get(id);
      const updatedAt = renewed.get(id);
      if (!updatedAt) this.stop(id, 'disabled');
      else if (entry?.updatedAt && updatedAt.getTime() !== entry.updatedAt.getTime()) this.stop(id, 'changed');
    }
  }

  stop(connectionId: string, reason: ProtectionStopReason): void {
    const entry = this.#active.get(connectionId);
    if (!entry || entry.controller.signal.aborted) return;
    this.options.logger.info({ connectionId, reason }, 'stopping WAL stream');
    entry.controller.abort(reason);
  }

  /** Stops every stream (segments in flight finish uploading, slots stay) and gives the leases up. */
  async stopAll(): Promise<void> {
    for (const id of this.activeConnectionIds) this.stop(id, 'shutdown');
    await Promise.all([...this.#active.values()].map((entry) => entry.done));
  }

  #start(connectionId: string): void {
    const controller = new AbortController();
    const entry: ActiveStream = { controller, done: Promise.resolve(), updatedAt: undefined };
    this.#active.set(connectionId, entry);
    entry.done = this.#run(connectionId, entry)
      .catch((error: unknown) => this.options.logger.error({ err: error, connectionId }, 'protection bookkeeping failed'))
      .finally(() => this.#active.delete(connectionId));
  }

  async #run(connectionId: string, entry: ActiveStream): Promise<void> {
    const { db, workerId, logger: baseLogger, events } = this.options;
    const logger = baseLogger.child({ protectedConnectionId: connectionId });
    let failed = false;
    try {
      const row = await db.selectFrom('connection_protection').selectAll().where('connection_id', '=', connectionId).executeTakeFirst();
      if (!row || row.slot_state === 'dropped') return;
      entry.updatedAt = row.updated_at;
      let gap: string | undefined;
      if (row.slot_state === 'active') {
        events.emit('protection:started', { connectionId, workerId });
        gap = await this.#stream(connectionId, row, entry.controller, logger);
      }
      // Disabled (now, or while nobody streamed): the slot goes, so the source stops keeping WAL for it.
      const current = await db.selectFrom('connection_protection').select(['slot_state']).where('connection_id', '=', connectionId).executeTakeFirst();
      if (current?.slot_state === 'dropping' && entry.controller.signal.reason !== 'shutdown') await this.#dropSlot(connectionId, row, logger);
      this.#failures.delete(connectionId);
      if (gap === undefined) await recordProtectionError(db, connectionId, null, null);
    } catch (error) {
      failed = true;
      if (!isPgferryError(error)) logger.error({ err: error }, 'the WAL stream failed with an unexpected error');
      const code = isPgferryError(error) ? error.code : 'PGF_INTERNAL';
      const message = isPgferryError(error) ? error.message : safeServerReason(error);
      logger.error({ code }, `WAL stream failed: ${message}`);
      await recordProtectionError(db, connectionId, code, message).catch(() => undefined);
    }
    // A failing protection waits before anyone starts it again: a broken source must not spin.
    const attempts = failed ? (this.#failures.get(connectionId) ?? 0) + 1 : 0;
    if (failed) this.#failures.set(connectionId, attempts);
    const delayMs = failed ? Math.min(300_000, this.options.retryDelayMs * 2 ** (attempts - 1)) : 0;
    await releaseProtectionLease(db, workerId, connectionId, delayMs);
    const reason = entry.controller.signal.reason as ProtectionStopReason | undefined;
    events.emit('protection:stopped', { connectionId, workerId, reason: failed ? 'failed' : (reason ?? 'ended') });
  }

  /** Streams until stopped; answers the WAL gap it met, if any (kept as the protection's error). */
  async #stream(connectionId: string, row: ProtectionRow, controller: AbortController, logger: Logger): Promise<string | undefined> {
    const { db, secrets, outbound, workerId, events } = this.options;
    const target = await loadProtectionTarget(db, secrets, outbound, row);
    let latest: WalStreamProgress | undefined;
    let saved: WalStreamProgress | undefined;
    let gap: string | undefined;
    const save = async () => {
      const progress = latest;
      if (!progress || progress === saved) return;
      saved = progress;
      const retainedBytes = await slotRetainedBytes(target.source, row.slot_name).catch(() => null);
      const stored = await saveProtectionProgress(db, workerId, connectionId, protectionProgressRecord(progress, retainedBytes));
      if (!stored) return;
      const figures = { lagBytes: progress.lagBytes, lagSeconds: progress.lagSeconds, retainedBytes };
      await this.options.progressStored?.(connectionId, figures);
      events.emit('protection:progress', { connectionId, figures });
    };
    const timer = setInterval(() => void save().catch((error: unknown) => logger.warn({ err: error }, 'could not store the WAL stream progress')), this.options.progressIntervalMs);
    try {
      logger.info(`streaming WAL of ${target.connectionName} into storage ${target.storageName} through slot ${row.slot_name}`);
      const result = await streamWal({
        ...target.stream,
        spoolDir: path.join(this.options.spoolDir, connectionId),
        signal: controller.signal,
        onProgress: (progress) => {
          latest = progress;
          // The first figures are stored at once: they carry the system identifier the timeline,
          // drills and the restore wizard need, which must not wait for the first interval.
          if (saved === undefined) void save().catch((error: unknown) => logger.warn({ err: error }, 'could not store the WAL stream progress'));
        },
        onEvent: (event) => {
          if (event.type === 'segment:uploaded' || event.type === 'segment:already-stored') events.emit('protection:segment', { connectionId, file: event.file, outcome: event.type });
          else if (event.type === 'wal:gap') {
            // Never quiet: the stored WAL now has a hole no restore can cross.
            gap = `WAL segments ${event.first} through ${event.last} of system ${event.systemId} were lost before they reached storage (the slot was dropped or lost); restores cannot cross this gap: take a new base backup`;
            logger.error({ event }, gap);
            void recordProtectionError(db, connectionId, 'PGF_WAL_SEGMENT_MISSING', gap).catch(() => undefined);
          } else logger.info({ event }, event.type);
        },
      });
      logger.info({ uploadedLsn: result.uploadedLsn, segments: result.segmentsUploaded }, 'WAL stream stopped');
    } catch (error) {
      if (!controller.signal.aborted) throw error;
      logger.info({ err: error }, 'WAL stream ended while stopping');
    } finally {
      clearInterval(timer);
      await save().catch((error: unknown) => logger.warn({ err: error }, 'could not store the final WAL stream progress'));
      await target.stream.storage.close();
    }
    return gap;
  }

  async #dropSlot(connectionId: string, row: ProtectionRow, logger: Logger): Promise<void> {
    const { db, secrets, outbound, events } = this.options;
    const existed = await dropProtectionSlot(db, secrets, outbound, row);
    logger.info({ slot: row.slot_name, existed }, 'protection disabled: replication slot dropped');
    events.emit('protection:slot-dropped', { connectionId, slot: row.slot_name, existed });
  }
}
