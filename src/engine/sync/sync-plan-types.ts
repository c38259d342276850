import type { ColumnDrift } from '../schema/detect-drift.js';
import type { DdlStatement } from '../schema/generate-ddl.js';
import type { CatalogTable } from '../schema/schema-types.js';
import type { CopyFormat } from '../copy/copy-stream.js';
import type { QualifiedName } from '../sql/quote-ident.js';
import type { MissingObject, SchemaPolicy, SyncMode } from '../types.js';

import type { PrivilegeStatement } from './copy-privileges.js';

/** A key range of a table copied as a unit; a table that is not split has one chunk without bounds. */
export interface ChunkPlan {
  /** `schema.table` or `schema.table[lo,hi)`: the checkpoint id used by --resume. */
  id: string;
  lower: string | null;
  upper: string | null;
  /** `ctid`: a range of heap pages (a table without a key); otherwise a range of the key's first column. */
  by?: 'ctid' | undefined;
}

/** What one run does to one table (see the glossary in ../types.ts). */
export interface TablePlan {
  id: string;
  name: QualifiedName;
  mode: SyncMode;
  status: 'ready' | 'refused' | 'skipped';
  reason?: { code: string; message: string } | undefined;
  key: string[] | null;
  keySource: string | null;
  /** Destination columns loaded, in order. */
  columns: string[];
  /** The source SELECT's expressions for `columns` (rules applied). */
  expressions: string[];
  rules: { column: string; strategy: string }[];
  /** The user's filter as given (placeholders unbound), or null. */
  filter: string | null;
  /** The user's filter after placeholder binding (reads bound parameters), or null. */
  where: string | null;
  cursor: { column: string; type: string; from: string | null } | null;
  /** Bound values (name, value) the source SELECT reads with current_setting(). */
  params: [string, string][];
  format: CopyFormat;
  estimatedRows: number;
  estimatedBytes: number;
  /** The table does not exist on the destination and is created by this run. */
  createTable: boolean;
  /** Statements creating or altering this table before its data (shown in --dry-run). */
  ddl: DdlStatement[];
  /** This table's own post-data objects that the destination lacks (keys, indexes, triggers…), built right after its data. */
  postData: DdlStatement[];
  /** Key constraints created before the load (an existing table without its key, keyed mode). */
  keyObjects?: string[] | undefined;
  drift: ColumnDrift[];
  chunks: ChunkPlan[];
  /** Tables whose rows must be in first (destination foreign keys enforced during the load). */
  dependsOn: string[];
  /** Enabled user triggers on the destination, disabled during the load so they do not rewrite rows. */
  triggers: { name: string; enabled: 'O' | 'R' | 'A' }[];
  notes: string[];
  source: CatalogTable;
}

export interface DroppedForeignKey {
  table: QualifiedName;
  name: string;
  definition: string;
  why: string;
}

export interface SequencePlan {
  name: QualifiedName;
  /** The table whose success makes setting this sequence meaningful (null: stand-alone). */
  table: string | null;
}

export interface SyncPlan {
  runId: string;
  snapshot: string | null;
  sourceVersion: number;
  destinationVersion: number;
  mode: SyncMode;
  schemaPolicy: SchemaPolicy;
  /** Pre-data statements of every object to create (schemas, types, functions, tables, views…), in dependency order, in one transaction. */
  preData: DdlStatement[];
  /** Every schema object of the selection in creation order with what the run does to it. */
  schema: { key: string; object: string; section: string; action: 'create' | 'exists' | 'missing'; reason?: string | undefined }[];
  /** Objects the selection leaves out (a view over an unselected table), with why. */
  excluded: { object: string; reason: string }[];
  /** Objects the destination cannot take: the run ends `incomplete`. */
  missingObjects: MissingObject[];
  /** Extensions are created one by one; a missing privilege becomes a warning. */
  extensions: DdlStatement[];
  /** Load order (foreign-key parents first). */
  tables: TablePlan[];
  /** Post-data of created partitioned parents, foreign keys of created tables, views: after all data. */
  finalDdl: DdlStatement[];
  /** Destination foreign keys dropped during the load and re-created (validated) after it. */
  droppedForeignKeys: DroppedForeignKey[];
  sequences: SequencePlan[];
  /** Owners and grants copied after the load (`owners`/`grants` options); empty otherwise. */
  privileges: PrivilegeStatement[];
  cycles: string[][];
  warnings: string[];
}
