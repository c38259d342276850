import type pg from 'pg';

/**
 * What the catalog browser reports. "Estimated rows" come from `pg_class.reltuples` (what
 * ANALYZE last saw; null when the table was never analysed), sizes include TOAST and indexes.
 */

/** Anything that runs a query: a `pg.Client`, a pooled client or a `pg.Pool`. */
export interface Queryable {
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>>;
}

/** A statement as text plus parameter values, so it can be printed or unit-tested. */
export interface CatalogQuery {
  text: string;
  values: unknown[];
}

export interface SchemaInfo {
  name: string;
  owner: string;
  table_count: number;
  /** The connecting role may look up objects in it. */
  can_use: boolean;
  /** The connecting role may create objects in it. */
  can_create: boolean;
  comment: string | null;
}

export type TableKind = 'table' | 'partitioned';

export interface TableInfo {
  schema: string;
  name: string;
  kind: TableKind;
  estimated_rows: number | null;
  /** Heap + TOAST + indexes; for a partitioned table, the sum over its partitions. */
  total_bytes: number;
  has_primary_key: boolean;
  primary_key: string[];
  /** A valid, non-partial unique index on NOT NULL plain columns (usable as a key for upserts). */
  has_unique_key: boolean;
  partition_key: string | null;
  partition_count: number;
  /** `schema.table` of the parent when this table is a partition. */
  partition_of: { schema: string; name: string } | null;
  can_select: boolean;
  comment: string | null;
}

export interface ColumnInfo {
  position: number;
  name: string;
  /** `format_type` text, e.g. `character varying(40)`, `numeric(12,2)`, `integer[]`. */
  data_type: string;
  nullable: boolean;
  default: string | null;
  identity: 'always' | 'by default' | null;
  generated: string | null;
  collation: string | null;
  comment: string | null;
}

export type ForeignKeyAction = 'no action' | 'restrict' | 'cascade' | 'set null' | 'set default';

export interface ForeignKeyInfo {
  name: string;
  schema: string;
  table: string;
  columns: string[];
  referenced_schema: string;
  referenced_table: string;
  referenced_columns: string[];
  on_update: ForeignKeyAction;
  on_delete: ForeignKeyAction;
  deferrable: boolean;
  initially_deferred: boolean;
  validated: boolean;
  definition: string;
}

export interface KeyInfo {
  name: string;
  kind: 'primary' | 'unique';
  columns: string[];
}

export interface TableDetail {
  table: TableInfo;
  columns: ColumnInfo[];
  keys: KeyInfo[];
  /** Foreign keys declared on this table. */
  foreign_keys: ForeignKeyInfo[];
  /** Foreign keys of other tables that reference this one. */
  referenced_by: ForeignKeyInfo[];
}
