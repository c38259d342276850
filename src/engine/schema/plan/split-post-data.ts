import type { PlannedObject } from './plan-schema.js';

/** Kinds that belong to one table and can be built as soon as that table's rows are in. */
const tableBoundKinds = new Set(['constraint', 'index', 'trigger', 'rule', 'row security', 'policy', 'table option', 'statistics']);

export interface PostDataSplit {
  /** Per table key: its own post-data statements, in creation order. */
  groups: Map<string, { object: string; sql: string }[]>;
  /** Everything else post-data (foreign keys, index attachments, publications, refreshes…), in order, after every group. */
  final: { object: string; sql: string }[];
}

/**
 * Cuts the post-data objects to create into per-table groups and a final list. An object
 * joins its table's group when everything it needs is pre-data or earlier in that group
 * (a CLUSTER ON after its index); `loaded` are the tables whose rows this run loads.
 */
export function splitPostData(objects: readonly PlannedObject[], loaded: ReadonlySet<string>): PostDataSplit {
  const groups = new Map<string, { object: string; sql: string }[]>();
  const final: { object: string; sql: string }[] = [];
  const section = new Map(objects.map((p) => [p.object.key, p.object.section]));
  const groupOf = new Map<string, string>();
  for (const { object, action } of objects) {
    if (action !== 'create' || object.section !== 'post-data') continue;
    const table = object.table;
    const own =
      table !== undefined &&
      loaded.has(table) &&
      tableBoundKinds.has(object.kind) &&
      [...object.deps].every((dep) => dep === table || section.get(dep) !== 'post-data' || groupOf.get(dep) === table);
    const statements = object.create.map((sql) => ({ object: object.label, sql }));
    if (own) {
      groupOf.set(object.key, table);
      const list = groups.get(table) ?? [];
      list.push(...statements);
      groups.set(table, list);
    } else {
      final.push(...statements);
    }
  }
  return { groups, final };
}
