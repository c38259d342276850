import type { SchemaObject } from '../model/schema-object.js';
import type { SchemaGraph } from './read-schema-graph.js';

export interface ObjectSelection {
  /** Schemas chosen (null: the whole database, database-level objects included). */
  schemas: ReadonlySet<string> | null;
  /** Whether a table of a chosen schema is selected (--tables / --exclude). */
  table: (schema: string, name: string) => boolean;
}

export interface SelectedObjects {
  /** Keys of the objects to reproduce. */
  included: Set<string>;
  /** Objects left out because of the user's selection, with the reason (shown in --dry-run). */
  excluded: Map<string, string>;
  /** Tables outside the chosen schemas that chosen objects need: created without rows. */
  structureOnly: Set<string>;
}

const tableKinds = new Set(['table', 'foreign table']);
const nameOf = (object: SchemaObject) => object.key.slice(object.kind.length + 1);

/** The unquoted (schema, name) of a table object, from its reader's label-independent key. */
function tableName(object: SchemaObject): { schema: string; name: string } {
  const text = nameOf(object);
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        current += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else current += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === '.') {
      parts.push(current);
      current = '';
    } else current += ch;
  }
  parts.push(current);
  return { schema: parts[0] ?? '', name: parts.slice(1).join('.') };
}

/**
 * The dependency closure of a selection, the way a DBA expects `pg_dump -n/-t` to work but
 * complete: chosen tables with everything bound to them, every other object of the chosen
 * schemas, and from any schema whatever those need. An object that needs a table the user
 * left out (a view over it, a foreign key to it) is left out too, and says why.
 */
export function selectObjects(graph: SchemaGraph, selection: ObjectSelection): SelectedObjects {
  const { objects } = graph;
  const excluded = new Map<string, string>();
  const chosenSchema = (schema: string | null) => (schema === null ? selection.schemas === null : selection.schemas === null || selection.schemas.has(schema));
  const excludedTables = new Set<string>();
  for (const object of objects.values()) {
    if (!tableKinds.has(object.kind) || !chosenSchema(object.schema)) continue;
    const name = tableName(object);
    if (!selection.table(name.schema, name.name)) {
      excludedTables.add(object.key);
      excluded.set(object.key, 'not selected (--tables / --exclude)');
    }
  }
  // Everything that needs an excluded table, directly or through other objects, is out too.
  const dependents = new Map<string, string[]>();
  for (const object of objects.values()) {
    for (const dep of object.deps) {
      const list = dependents.get(dep) ?? [];
      list.push(object.key);
      dependents.set(dep, list);
    }
    if (object.table !== undefined) {
      const list = dependents.get(object.table) ?? [];
      list.push(object.key);
      dependents.set(object.table, list);
    }
  }
  const stack = [...excludedTables];
  while (stack.length > 0) {
    const key = stack.pop()!;
    for (const dependent of dependents.get(key) ?? []) {
      if (excluded.has(dependent)) continue;
      excluded.set(dependent, `needs ${objects.get(key)?.label ?? key}, which is not selected`);
      stack.push(dependent);
    }
  }

  const included = new Set<string>();
  const structureOnly = new Set<string>();
  const add = (key: string, pulled: boolean) => {
    if (included.has(key) || excluded.has(key)) return;
    const object = objects.get(key);
    if (!object) return;
    included.add(key);
    if (pulled && tableKinds.has(object.kind) && !chosenSchema(object.schema)) structureOnly.add(key);
    for (const dep of object.deps) add(dep, true);
    if (object.table !== undefined) add(object.table, true);
  };
  for (const object of objects.values()) {
    const bound = object.table !== undefined ? objects.get(object.table) : undefined;
    // A table-bound object follows its table; anything else follows its schema.
    const wanted = bound ? chosenSchema(bound.schema) : chosenSchema(object.schema);
    if (wanted) add(object.key, false);
  }
  // Objects of tables pulled in for their structure alone: their keys and indexes too.
  for (const object of objects.values()) {
    if (object.table !== undefined && structureOnly.has(object.table) && object.section !== 'post-data') add(object.key, true);
  }
  return { included, excluded, structureOnly };
}
