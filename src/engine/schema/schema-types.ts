import type { QualifiedName } from '../sql/quote-ident.js';

/** The tables, sequences and views of a database that the data path plans with. */
export interface SchemaCatalog {
  serverVersionNum: number;
  schemas: CatalogSchema[];
  sequences: CatalogSequence[];
  tables: CatalogTable[];
  views: CatalogView[];
}

export interface CatalogSchema {
  name: string;
  comment: string | null;
}

export interface SequenceOptions {
  dataType: string;
  start: string;
  increment: string;
  min: string;
  max: string;
  cache: string;
  cycle: boolean;
}

export interface CatalogSequence extends SequenceOptions {
  name: QualifiedName;
  /** Set for serial-style ownership and for identity sequences. */
  ownedBy: { table: QualifiedName; column: string } | null;
  /** Identity sequences are created with their column, not on their own. */
  identity: boolean;
  comment: string | null;
}

export interface CatalogColumn {
  name: string;
  /** `format_type(atttypid, atttypmod)`, schema-qualified where needed. */
  type: string;
  typeOid: number;
  /** Binary COPY is safe for this type across databases (built-in base type, array of one, enum or domain over one). */
  binarySafe: boolean;
  /** The type's category letter (pg_type.typcategory): S string, N numeric, D date/time, I network, U user. */
  category: string;
  notNull: boolean;
  default: string | null;
  /** '' none, 'a' ALWAYS, 'd' BY DEFAULT. */
  identity: '' | 'a' | 'd';
  identitySequence: (SequenceOptions & { name: QualifiedName }) | null;
  /** Expression of a stored generated column. */
  generated: string | null;
  /** Collation name when it differs from the type's default. */
  collation: string | null;
  comment: string | null;
}

export interface CatalogConstraint {
  name: string;
  /** p primary key, u unique, f foreign key, c check, x exclusion. */
  type: 'p' | 'u' | 'f' | 'c' | 'x';
  /** `pg_get_constraintdef` (includes NOT VALID and DEFERRABLE where set). */
  definition: string;
  /** For foreign keys: the referenced table. */
  references: QualifiedName | null;
  comment: string | null;
}

export interface CatalogIndex {
  name: string;
  definition: string;
  comment: string | null;
}

export interface CatalogTrigger {
  name: string;
  definition: string;
  /** pg_trigger.tgenabled: O origin, D disabled, R replica, A always. */
  enabled: 'O' | 'D' | 'R' | 'A';
}

export interface CatalogPolicy {
  name: string;
  permissive: boolean;
  command: string;
  roles: string[];
  using: string | null;
  withCheck: string | null;
}

export interface CatalogTable {
  name: QualifiedName;
  oid: number;
  kind: 'table' | 'partitioned';
  unlogged: boolean;
  columns: CatalogColumn[];
  /** `pg_get_partkeydef` for partitioned tables. */
  partitionKey: string | null;
  /** The parent and bound (`pg_get_expr(relpartbound)`) of a partition. */
  partitionOf: { parent: QualifiedName; bound: string } | null;
  /** Constraints defined on this table (not inherited from a partitioned parent). */
  constraints: CatalogConstraint[];
  /** Indexes not backing a constraint and not inherited from a parent's index. */
  indexes: CatalogIndex[];
  triggers: CatalogTrigger[];
  /** The columns of the primary key, else of the first unique index on NOT NULL columns. */
  key: string[] | null;
  keySource: 'primary key' | 'unique index' | null;
  /** Columns of every valid unique index on plain columns (nullable ones too): the keys ON CONFLICT can use. */
  uniqueKeys: string[][];
  estimatedRows: number;
  estimatedBytes: number;
  rowSecurity: { enabled: boolean; forced: boolean };
  policies: CatalogPolicy[];
  comment: string | null;
}

export interface CatalogView {
  name: QualifiedName;
  materialized: boolean;
  populated: boolean;
  /** `pg_get_viewdef(oid, true)`. */
  query: string;
  /** Column-level and view comments. */
  comment: string | null;
  /** Relations the view reads (for ordering and for skipping views over unselected tables). */
  dependsOn: QualifiedName[];
  indexes: CatalogIndex[];
}
