import type { SyncOptions, EngineContext } from '../types.js';

/**
 * The continuous-sync engine's public surface (issue 18). The CLI (`sync --follow`,
 * `cutover`), the worker (saved job kind "continuous sync") and the API call only these.
 * Implementations live beside this file; this file holds the types and re-exports.
 */

/** A follow is a sync (same tables, rules, filters, schema policy) that goes on streaming. */
export interface FollowOptions extends Omit<SyncOptions, 'mode' | 'cursor' | 'resumeCommitted' | 'highWaterScope' | 'importSnapshot'> {
  /**
   * Stable id of this follow (saved job id, or a CLI-derived name). Names the slot, the
   * publication and the destination's position row: the same id resumes, another starts anew.
   */
  followId: string;
  /** Changes per destination transaction at most (default chosen by the engine). */
  batchChanges?: number | undefined;
  /** Longest wait before a partial batch is committed, ms (default chosen by the engine). */
  batchWaitMs?: number | undefined;
}

export type FollowPhase = 'starting' | 'copying' | 'streaming' | 'stopping' | 'stopped' | 'failed';

/** A point-in-time view of a follow, emitted while it runs and answered by followStatus. */
export interface FollowProgress {
  followId: string;
  phase: FollowPhase;
  slotName: string;
  publicationName: string;
  /** Source's current WAL position (pg_current_wal_lsn) when measured, as 'X/Y'. */
  sourceLsn: string | null;
  /** Last commit LSN applied and committed at the destination, as 'X/Y'. */
  appliedLsn: string | null;
  /** Bytes between sourceLsn and appliedLsn. */
  lagBytes: number | null;
  /** Seconds between now and the source commit time of the oldest change not yet applied (0 when caught up). */
  lagSeconds: number | null;
  /** WAL the slot keeps on the source (pg_current_wal_lsn - restart_lsn), bytes. */
  retainedBytes: number | null;
  /** Source transaction id and commit time of the last applied transaction. */
  lastAppliedXid: number | null;
  lastAppliedCommitTime: string | null;
  /** Row changes applied since this process started following, and their recent rate. */
  changesApplied: number;
  changesPerSecond: number;
  /** Transactions applied since this process started following. */
  transactionsApplied: number;
}

export interface FollowContext extends EngineContext {
  /** Called at least every few seconds and after each applied batch. */
  onProgress?: ((progress: FollowProgress) => void) | undefined;
}

/** How a follow ended: stopped on request (signal) or failed (thrown PgferryError instead). */
export interface FollowResult {
  followId: string;
  appliedLsn: string | null;
  changesApplied: number;
  transactionsApplied: number;
  /** True when this call ran the initial copy (first start), false when it resumed streaming. */
  copied: boolean;
}

export interface CutoverOptions extends FollowOptions {
  /** Give up waiting for lag 0 after this long, ms (default 5 minutes). */
  timeoutMs?: number | undefined;
}

/** What a DBA needs to switch traffic; `equal` false means do not switch. */
export interface CutoverReport {
  followId: string;
  /** The source LSN the destination caught up to. */
  targetLsn: string;
  appliedLsn: string;
  sequencesSet: { sequence: string; value: string }[];
  /** Tables compared with the diff engine at targetLsn; every one must be equal. */
  tables: { table: string; equal: boolean; sourceRows: number; destinationRows: number; detail?: string | undefined }[];
  schemaEqual: boolean;
  equal: boolean;
  /** Seconds from the start of the call to the report. */
  seconds: number;
}

export type { SyncOptions };
