import type pg from 'pg';

import { type SchemaGraph, readSchemaGraph } from '../schema/graph/read-schema-graph.js';
import { type ObjectKind, type SchemaObject, kindPriority } from '../schema/model/schema-object.js';
import { openSession } from '../sql/session-settings.js';

export interface SchemaDiffOptions {
  /** Compare only objects of these schemas (database-level objects are then left out). */
  schemas?: readonly string[] | undefined;
  /** Leave owners out of the comparison. */
  ignoreOwners?: boolean | undefined;
  /** Leave ACLs (GRANTs on the objects themselves) out of the comparison. */
  ignorePrivileges?: boolean | undefined;
}

export type SchemaDifferenceStatus = 'missing' | 'extra' | 'different';
export type SchemaAspect = 'definition' | 'owner' | 'acl';

/** One object as one side has it: what `diff --schema` compares and prints (never a secret). */
export interface SchemaObjectSide {
  definition: string;
  owner?: string | null | undefined;
  acl?: string | null | undefined;
}

export interface SchemaObjectDifference {
  key: string;
  kind: ObjectKind;
  schema: string | null;
  label: string;
  /** `missing`: only on the source; `extra`: only on the destination; `different`: on both, not alike. */
  status: SchemaDifferenceStatus;
  /** What differs (`different` only): the definition, the owner, the ACL. */
  aspects: SchemaAspect[];
  source: SchemaObjectSide | null;
  destination: SchemaObjectSide | null;
}

export interface SchemaDiff {
  equal: boolean;
  source: { serverVersionNum: number; objects: number };
  destination: { serverVersionNum: number; objects: number };
  counts: { equal: number; missing: number; extra: number; different: number };
  /** Missing, then extra, then different; each in creation priority order, then by key. */
  differences: SchemaObjectDifference[];
}

// Data, not structure: row contents, sequence positions, large objects' bytes, refreshes.
const dataKinds = new Set<ObjectKind>(['table data', 'sequence value', 'large object data', 'materialized view data']);

/** The compared text: a reader's `definition` where set (secrets masked), else its statements. */
export const objectDefinition = (object: SchemaObject): string => object.definition ?? object.create.join(';\n');

function sideOf(object: SchemaObject, options: SchemaDiffOptions): SchemaObjectSide {
  const side: SchemaObjectSide = { definition: objectDefinition(object) };
  if (!options.ignoreOwners && object.owner !== undefined) side.owner = object.owner;
  if (!options.ignorePrivileges && object.acl !== undefined) side.acl = object.acl;
  return side;
}

function selected(graph: SchemaGraph, options: SchemaDiffOptions): Map<string, SchemaObject> {
  const schemas = options.schemas === undefined ? null : new Set(options.schemas);
  const out = new Map<string, SchemaObject>();
  for (const [key, object] of graph.objects) {
    if (dataKinds.has(object.kind) || object.extension !== undefined) continue;
    if (schemas !== null && (object.schema === null || !schemas.has(object.schema))) continue;
    out.set(key, object);
  }
  return out;
}

const statusRank: Record<SchemaDifferenceStatus, number> = { missing: 0, extra: 1, different: 2 };

/** Compares two graphs object by object: matched by key, then by definition, owner and ACL. */
export function compareSchemaGraphs(source: SchemaGraph, destination: SchemaGraph, options: SchemaDiffOptions = {}): SchemaDiff {
  const left = selected(source, options);
  const right = selected(destination, options);
  const differences: SchemaObjectDifference[] = [];
  let equal = 0;
  const base = (object: SchemaObject) => ({ key: object.key, kind: object.kind, schema: object.schema, label: object.label });
  for (const [key, object] of left) {
    const other = right.get(key);
    if (other === undefined) {
      differences.push({ ...base(object), status: 'missing', aspects: [], source: sideOf(object, options), destination: null });
      continue;
    }
    const a = sideOf(object, options);
    const b = sideOf(other, options);
    const aspects: SchemaAspect[] = [];
    if (a.definition !== b.definition) aspects.push('definition');
    if (!options.ignoreOwners && (a.owner ?? null) !== (b.owner ?? null)) aspects.push('owner');
    if (!options.ignorePrivileges && (a.acl ?? null) !== (b.acl ?? null)) aspects.push('acl');
    if (aspects.length === 0) equal++;
    else differences.push({ ...base(object), status: 'different', aspects, source: a, destination: b });
  }
  for (const [key, object] of right) {
    if (!left.has(key)) differences.push({ ...base(object), status: 'extra', aspects: [], source: null, destination: sideOf(object, options) });
  }
  differences.sort(
    (x, y) =>
      statusRank[x.status] - statusRank[y.status] || kindPriority.get(x.kind)! - kindPriority.get(y.kind)! || (x.key < y.key ? -1 : x.key > y.key ? 1 : 0),
  );
  const count = (status: SchemaDifferenceStatus) => differences.filter((d) => d.status === status).length;
  return {
    equal: differences.length === 0,
    source: { serverVersionNum: source.serverVersionNum, objects: left.size },
    destination: { serverVersionNum: destination.serverVersionNum, objects: right.size },
    counts: { equal, missing: count('missing'), extra: count('extra'), different: count('different') },
    differences,
  };
}

/** Reads one database's graph in a read-only snapshot, so concurrent DDL cannot tear it. */
async function readGraph(config: pg.ClientConfig): Promise<SchemaGraph> {
  const client = await openSession(config, 'source', 'pgferry diff --schema');
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const graph = await readSchemaGraph(client);
    await client.query('COMMIT');
    return graph;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * `pgferry diff --schema`: reads both databases' schema graphs (the objects sync, backup and
 * restore reproduce) and compares them by key and definition. Only catalog reads: no row is
 * touched.
 */
export async function diffSchemas(sourceConfig: pg.ClientConfig, destinationConfig: pg.ClientConfig, options: SchemaDiffOptions = {}): Promise<SchemaDiff> {
  const [source, destination] = await Promise.all([readGraph(sourceConfig), readGraph(destinationConfig)]);
  return compareSchemaGraphs(source, destination, options);
}
