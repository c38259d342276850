/**
 * The schema layer's unit: one object a database-level `pg_dump` would reproduce, with the
 * statements that create it, the section it belongs to and the objects it needs. Sync,
 * native backup, restore, restore.sh and `diff --schema` all work on these.
 */

export type Section = 'pre-data' | 'data' | 'post-data';

/**
 * Object kinds in creation priority order (lower first when dependencies allow), after
 * pg_dump's dbObjectTypePriorities: the sort takes dependencies first and this order second.
 */
export const objectKinds = [
  'schema',
  'collation',
  'extension',
  'shell type',
  'type',
  'domain',
  'function',
  'procedure',
  'aggregate',
  'cast',
  'operator',
  'operator family',
  'operator class',
  'conversion',
  'text search parser',
  'text search template',
  'text search dictionary',
  'text search configuration',
  'foreign data wrapper',
  'server',
  'user mapping',
  'sequence',
  'table',
  'foreign table',
  'view stub',
  'view',
  'materialized view',
  'attach partition',
  'default',
  'check constraint',
  'sequence owned by',
  'large object',
  // data
  'table data',
  'sequence value',
  'large object data',
  // post-data
  'constraint',
  'index',
  'attach index',
  'statistics',
  'rule',
  'trigger',
  'foreign key',
  'row security',
  'policy',
  'table option',
  'publication',
  'publication member',
  'subscription',
  'default privileges',
  'event trigger',
  'materialized view data',
] as const;
export type ObjectKind = (typeof objectKinds)[number];

export const kindPriority: ReadonlyMap<ObjectKind, number> = new Map(objectKinds.map((kind, index) => [kind, index]));

/** What an object needs on the destination beyond its dependencies; unmet, it cannot be reproduced. */
export interface ObjectRequirements {
  /** Minimum server_version_num of the destination (e.g. 150000 for publications of schemas). */
  minServerVersion?: number | undefined;
  /** Superuser only (event triggers, C-language functions, foreign data wrappers with handlers, subscriptions). */
  superuser?: boolean | undefined;
  /** Roles the statements name (owners excluded: those are in `owner`). */
  roles?: string[] | undefined;
}

export interface SchemaObject {
  /**
   * Identity across databases: kind and qualified name (with signature or table where the
   * name alone is ambiguous), e.g. `table public.t`, `function public.f(integer)`,
   * `constraint public.t.t_pkey`. Source and destination objects match by this key.
   */
  key: string;
  kind: ObjectKind;
  /** The schema it lives in (for selection), null for database-level objects. */
  schema: string | null;
  /** What messages call it, e.g. `function public.f(integer)`. */
  label: string;
  section: Section;
  /** Statements that create it, comments and security labels included; run in order. */
  create: string[];
  /**
   * Catalog addresses this object stands for, `classid:objid` with classid the catalog's
   * OID (e.g. `1259:16384` for pg_class), so pg_depend rows map onto it. A table also owns
   * its row type's and array type's addresses, a view its `_RETURN` rule's.
   */
  addresses: string[];
  /** Keys of objects that must exist first; readers add implicit ones, the graph adds pg_depend's. */
  deps: Set<string>;
  /** Table-bound objects (constraints, indexes, triggers, rules, policies, defaults): the table's key. */
  table?: string | undefined;
  /** The text compared by `diff --schema` (default: `create` joined). */
  definition?: string | undefined;
  /** The owner role, and the ACL as `aclitem[]` text; copied only on request. */
  owner?: string | null | undefined;
  acl?: string | null | undefined;
  requires?: ObjectRequirements | undefined;
  /** A member of an extension: never created one by one (CREATE EXTENSION makes it). */
  extension?: string | undefined;
  /**
   * Statements that create a placeholder with the same name and no dependencies on other
   * user objects (a view's stub with its column types), used to break dependency cycles:
   * then `create` runs later and replaces it.
   */
  stub?: { create: string[]; deps: Set<string> } | undefined;
  /**
   * A base type's shell (`CREATE TYPE name`) and its I/O functions: those functions take or
   * return the type, so their dependency on it points at the shell, made before them.
   */
  shell?: { key: string; functions: Set<string> } | undefined;
  /**
   * Its statements can run again on an existing object (CREATE … IF NOT EXISTS, COMMENT ON):
   * where the destination has it with another definition (public's comment), they do.
   */
  reapply?: boolean | undefined;
  /** `DROP … IF EXISTS … CASCADE` for `restore --clean` (only objects that own data or names). */
  drop?: string | undefined;
}

/** One reader's context: a session inside the snapshot with `search_path = ''`. */
export interface ReadContext {
  query<T extends Record<string, unknown> = Record<string, unknown>>(text: string, values?: unknown[]): Promise<T[]>;
  serverVersionNum: number;
}

export type ObjectReader = (context: ReadContext) => Promise<SchemaObject[]>;

/** `classid:objid` of a catalog row. */
export const address = (classId: number | string, objectId: number | string): string => `${classId}:${objectId}`;

export function makeObject(fields: Omit<SchemaObject, 'deps' | 'addresses' | 'create'> & Partial<Pick<SchemaObject, 'deps' | 'addresses' | 'create'>>): SchemaObject {
  return { ...fields, create: fields.create ?? [], addresses: fields.addresses ?? [], deps: fields.deps ?? new Set() };
}
