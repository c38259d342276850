/**
 * Glossary (the words the engine, API, UI and docs use, with one meaning each):
 *
 * - **run** — one execution of a sync, backup, restore or verify: it has an id, a start, an
 *   end and a status (`succeeded | failed | cancelled`), and reports per-table results.
 * - **job** — a saved, named description of work (source, destination, selection, mode,
 *   schedule) that produces runs. The engine never sees jobs, only the options of one run.
 * - **table plan** — what one run will do to one table: mode, key, columns, filter, rules,
 *   DDL to create it, estimated size and the chunks it is split into.
 * - **chunk** — a key range of one table copied as a unit (a whole table is one chunk).
 * - **snapshot** — the exported REPEATABLE READ snapshot (`pg_export_snapshot()`) shared by
 *   every reader of a run, so all tables are read as of one instant.
 * - **archive** — the files a backup writes (data per table, DDL, manifest) to a storage.
 * - **manifest** — the JSON index of an archive: tables, row counts, checksums, sizes,
 *   server version and the options the archive was made with.
 */
import type pg from 'pg';

import type { Logger } from '../logger.js';
import type { QualifiedName } from './sql/quote-ident.js';
import type { RuleStrategy } from './sync/rule-grammar.js';

export type { QualifiedName } from './sql/quote-ident.js';

/**
 * The sync modes and their traits, in one place: every list of modes (CLI choices, API
 * schema, save-time checks, the engine's planning) is derived from this table.
 * - full: replace each table atomically;
 * - append: insert rows whose key is absent;
 * - upsert: insert or update by key;
 * - incremental: upsert rows whose cursor ≥ the stored high-water mark;
 * - mirror: upsert, and delete rows gone from the source.
 */
export const syncModeTraits = {
  full: { keyed: false, destructive: true },
  append: { keyed: true, destructive: false },
  upsert: { keyed: true, destructive: false },
  incremental: { keyed: true, destructive: false },
  mirror: { keyed: true, destructive: true },
} as const satisfies Record<string, { keyed: boolean; destructive: boolean }>;
export type SyncMode = keyof typeof syncModeTraits;
export const syncModes = Object.keys(syncModeTraits) as [SyncMode, ...SyncMode[]];
/** Modes that need a primary key or a unique key on non-null columns. */
export const keyedModes: ReadonlySet<SyncMode> = new Set(syncModes.filter((mode) => syncModeTraits[mode].keyed));
/** Modes that remove destination rows (refused on a protected destination). */
export const destructiveModes: ReadonlySet<SyncMode> = new Set(syncModes.filter((mode) => syncModeTraits[mode].destructive));

export const schemaPolicies = ['create-missing', 'add-columns', 'strict', 'none'] as const;
export type SchemaPolicy = (typeof schemaPolicies)[number];

export { type RuleStrategy, ruleStrategies } from './sync/rule-grammar.js';

/** One anonymisation rule. `match` is `column`, `table.column`, `schema.table.column`, with `*` wildcards. */
export interface ColumnRule {
  match: string;
  strategy: RuleStrategy;
  /** value: the literal; sql: the expression; truncate: the length; random_int: "min,max". */
  argument?: string | undefined;
}

export interface RetryOptions {
  /** Attempts per table including the first (default: 4). */
  attempts: number;
  /** First backoff in ms, doubled each time (default: 500). */
  baseDelayMs: number;
  /** Backoff cap in ms (default: 10000). */
  maxDelayMs: number;
}

export interface SyncOptions {
  source: pg.ClientConfig;
  destination: pg.ClientConfig;
  /** Schemas to consider (default: every non-system schema). */
  schemas?: string[] | undefined;
  /** Globs on `schema.table` (or `table` in any schema) (default: all tables). */
  tables?: string[] | undefined;
  /** Globs removed from the selection. */
  exclude?: string[] | undefined;
  /** (default: full) */
  mode?: SyncMode | undefined;
  /** Cursor column for incremental (also recorded by other modes when present). */
  cursor?: string | undefined;
  /** WHERE filter applied to every selected table (a boolean SQL expression). */
  where?: string | undefined;
  /**
   * Options of some tables over the run's own (mode, cursor, where, key); every table is still
   * read in the run's one snapshot and loaded under its one foreign-key plan. For each table the
   * matching entries apply in order, a later one's fields over an earlier one's.
   */
  tableOptions?: TableSyncOptions[] | undefined;
  /** Values for `{{name}}` placeholders in the filter, bound as parameters. */
  placeholders?: Record<string, string> | undefined;
  rules?: ColumnRule[] | undefined;
  /** Secret mixed into hash-based rules (default: a fixed, documented key). */
  ruleKey?: string | undefined;
  /** (default: create-missing) */
  schemaPolicy?: SchemaPolicy | undefined;
  /** Tables copied at once (default: 1). */
  jobs?: number | undefined;
  /** Split tables with more estimated rows than this into key ranges (default: off). */
  splitRows?: number | undefined;
  /** Give the destination's tables, sequences, views and schemas the source's owners (ALTER … OWNER TO; default: off). */
  owners?: boolean | undefined;
  /** Add the source's GRANTs (table, column, sequence, schema) on the destination (default: off). */
  grants?: boolean | undefined;
  /** The destination is marked protected: full and mirror are refused. */
  destinationProtected?: boolean | undefined;
  /** Id of this run (default: a random UUID). */
  runId?: string | undefined;
  /** Tables (ids `schema.table`) already committed by the run being resumed: skipped. */
  resumeCommitted?: ReadonlySet<string> | undefined;
  /** Where incremental marks live for this job (store: the job id; CLI: source→destination). */
  highWaterScope?: string | undefined;
  retry?: Partial<RetryOptions> | undefined;
  /** Use binary COPY when both ends allow it (default: true). */
  binary?: boolean | undefined;
  /**
   * Read the source as of this exported snapshot instead of exporting one (a follow's
   * replication slot's: its session must stay open and idle until the run has ended).
   */
  importSnapshot?: string | undefined;
}

/** Options of the tables a glob matches (see SyncOptions.tableOptions). */
export interface TableSyncOptions {
  /** Glob on `schema.table` (or `table` in any schema), as in SyncOptions.tables. */
  match: string;
  mode?: SyncMode | undefined;
  cursor?: string | undefined;
  where?: string | undefined;
  /** Columns of a unique index to match rows on in keyed modes (default: the primary key). */
  key?: string[] | undefined;
}

/** Persists incremental high-water marks per scope (job) and table. */
export interface HighWaterStore {
  get(scope: string, table: string): Promise<{ cursor: string; value: string | null } | undefined>;
  set(scope: string, table: string, cursor: string, value: string | null): Promise<void>;
}

/** Records tables committed by a run so `--resume` can skip them. */
export interface CheckpointStore {
  markCommitted(runId: string, table: string): Promise<void>;
}

export type TableStatus = 'succeeded' | 'failed' | 'skipped';

export interface TableResult {
  /** `schema.table` for display and checkpoints; ambiguous when a name holds a dot, so use `schema` and `name` to address it. */
  table: string;
  schema: string;
  name: string;
  mode: SyncMode;
  status: TableStatus;
  /** Rows read from the source. */
  rows: number;
  /** Rows inserted, updated or deleted on the destination (keyed modes; equals rows for full). */
  written: number;
  deleted: number;
  bytes: number;
  durationMs: number;
  /** Part of durationMs spent moving rows (COPY and merge), before indexes and constraints. */
  loadMs?: number | undefined;
  attempts: number;
  error?: { code: string; message: string } | undefined;
  reason?: string | undefined;
  /** Columns rewritten by rules (left out when verifying). */
  maskedColumns?: string[] | undefined;
  /** The table's WHERE filter as given (placeholders unbound), when it had one. */
  filter?: string | undefined;
}

/**
 * A run's outcome. `incomplete`: every table succeeded but some schema objects of the
 * selection could not be reproduced on the destination (listed in `missingObjects`), so the
 * destination does not equal what was asked for.
 */
export type RunOutcome = 'succeeded' | 'incomplete' | 'failed' | 'cancelled';

/** A schema object of the selection that the run did not reproduce, and why. */
export interface MissingObject {
  /** What messages call it, e.g. `extension postgis` or `view app.v`. */
  object: string;
  reason: string;
}

export interface SyncResult {
  runId: string;
  status: RunOutcome;
  tables: TableResult[];
  /** Schema objects not reproduced (a non-empty list makes the status `incomplete` at best). */
  missingObjects: MissingObject[];
  /** Large objects whose data the run copied (absent when the selection holds none). */
  largeObjects?: { count: number; bytes: number } | undefined;
  warnings: string[];
  totals: { tables: number; succeeded: number; failed: number; skipped: number; rows: number; written: number; bytes: number; durationMs: number };
  startedAt: string;
  finishedAt: string;
}

export type EngineEvent =
  | { type: 'run:start'; runId: string; tables: number; estimatedRows: number; estimatedBytes: number }
  | { type: 'schema:applied'; phase: 'pre-data' | 'post-data'; statements: number }
  | { type: 'schema:warning'; object: string; message: string }
  | { type: 'table:start'; table: string; mode: SyncMode; estimatedRows: number; attempt: number }
  | { type: 'table:progress'; table: string; rows: number; bytes: number; estimatedRows: number }
  | { type: 'table:retry'; table: string; attempt: number; delayMs: number; code: string; message: string }
  | { type: 'table:done'; table: string; result: TableResult }
  | { type: 'run:done'; result: SyncResult };

export interface EngineContext {
  signal?: AbortSignal | undefined;
  onEvent?: ((event: EngineEvent) => void) | undefined;
  highWater?: HighWaterStore | undefined;
  checkpoints?: CheckpointStore | undefined;
  logger?: Logger | undefined;
}

export const tableId = (name: QualifiedName): string => `${name.schema}.${name.name}`;
