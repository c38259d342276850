import type { Kysely } from 'kysely';

import type { Logger } from '../logger.js';
import type { OutboundCheck } from '../net/outbound-guard.js';
import type { SecretBox } from '../secrets/secret-box.js';
import type { RunLogLevel } from '../store/run-log-repository.js';
import type { RunKind, RunMissingObject, RunRow, StoreDatabase } from '../store/store-types.js';

/** One table's figures as a run reports them (stored in runs.tables, shown per table in the UI). */
export interface RunTableResult {
  table: string;
  status: 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped' | 'cancelled';
  rows: number;
  bytes: number;
  duration_ms?: number;
  error?: string;
  [extra: string]: unknown;
}

export interface RunProgress {
  tables: RunTableResult[];
  totalRows: number;
  totalBytes: number;
}

export interface RunContext {
  /** Aborted on cancel, timeout, loss of the run to the dead-worker reaper, or shutdown. */
  signal: AbortSignal;
  /** Writes a line to the run's log (run_logs), shown in the UI and `pgferry runs logs`. */
  log(level: RunLogLevel, message: string, extra?: { table?: string; data?: unknown }): void;
  /**
   * Records that the run committed a table (a resume skips it): stored at once, in order with
   * the log lines before it; rejects when it cannot be stored.
   */
  checkpoint(table: string): Promise<void>;
  /** Latest figures; saved about once a second and streamed over SSE. */
  progress(progress: RunProgress): void;
  /** The metadata store and secrets, to load jobs and connections. */
  db: Kysely<StoreDatabase>;
  secrets: SecretBox;
  /** PGFERRY_OUTBOUND_ALLOW: checked before connecting to a saved connection or storage. */
  outbound: OutboundCheck;
  logger: Logger;
  workerId: string;
}

export interface RunResult extends RunProgress {
  /** `incomplete`: every table done, but `missingObjects` were not reproduced; never a success. */
  status: 'succeeded' | 'incomplete' | 'failed';
  /** Schema objects not reproduced on the destination, stored on the run (runs.missing_objects). */
  missingObjects?: RunMissingObject[];
  errorCode?: string;
  errorMessage?: string;
}

/**
 * Runs one run of a kind (sync, backup, …) and reports its figures. Throws, or returns
 * status failed, when it failed; returns status incomplete (with `missingObjects`) when the
 * data is all there but schema objects are not; must stop promptly when `signal` aborts.
 */
export type RunExecutor = (run: RunRow, context: RunContext) => Promise<RunResult>;
export type RunExecutors = Partial<Record<RunKind, RunExecutor>>;
