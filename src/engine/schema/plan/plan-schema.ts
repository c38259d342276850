import type { SchemaObject } from '../model/schema-object.js';
import type { SchemaGraph } from '../graph/read-schema-graph.js';
import { type ObjectSelection, selectObjects } from '../graph/select-objects.js';
import { sortObjects } from '../graph/sort-objects.js';
import type { DestinationFacts } from './destination-facts.js';

/** One object of the selection and what the run does with it. */
export interface PlannedObject {
  object: SchemaObject;
  /** create: missing on the destination; exists: there already (by key); missing: cannot be reproduced there. */
  action: 'create' | 'exists' | 'missing';
  reason?: string | undefined;
}

export interface SchemaPlan {
  /** The selection's objects in creation order (pre-data, then post-data). */
  objects: PlannedObject[];
  /** Objects the user's selection left out, with why. */
  excluded: { label: string; reason: string }[];
  /** Tables created without rows because chosen objects need them. */
  structureOnly: Set<string>;
  warnings: string[];
}

const definitionOf = (object: SchemaObject): string => object.definition ?? object.create.join(';\n');

/** Why the destination cannot take `object`, or null. */
function unmet(object: SchemaObject, facts: DestinationFacts): string | null {
  const requires = object.requires;
  if (object.kind === 'extension') {
    const name = object.key.slice('extension '.length).replace(/^"(.*)"$/, '$1').replace(/""/g, '"');
    if (!facts.availableExtensions.has(name)) return `extension ${name} is not installed on the destination server (install its package there)`;
  }
  if (!requires) return null;
  if (requires.minServerVersion !== undefined && facts.serverVersionNum < requires.minServerVersion) {
    return `it needs PostgreSQL ${Math.floor(requires.minServerVersion / 10000)} or later on the destination (it runs ${Math.floor(facts.serverVersionNum / 10000)})`;
  }
  if (requires.superuser && !facts.superuser) return 'creating it needs a superuser on the destination';
  const roles = (requires.roles ?? []).filter((role) => !facts.roles.has(role));
  if (roles.length > 0) return `role ${roles.map((r) => `"${r}"`).join(', ')} does not exist on the destination (create it, then run again)`;
  return null;
}

/** A primary key exists under another name: the table has its key, and a second one would fail. */
function samePrimaryKey(object: SchemaObject, destination: SchemaGraph): boolean {
  if (object.kind !== 'constraint' || object.table === undefined || !/ PRIMARY KEY /.test(object.create[0] ?? '')) return false;
  for (const other of destination.objects.values()) {
    if (other.table === object.table && other.kind === 'constraint' && / PRIMARY KEY /.test(other.create[0] ?? '')) return true;
  }
  return false;
}

/**
 * Decides, object by object in creation order, what a run does on the destination: create
 * what is missing, leave what exists, and name what cannot be reproduced there (an
 * extension not installed, a missing role, an older server) together with everything that
 * needs it. `destination` null: an empty target (a backup).
 */
export function planSchema(input: { source: SchemaGraph; destination: SchemaGraph | null; facts: DestinationFacts | null; selection: ObjectSelection }): SchemaPlan {
  const { source, destination, facts } = input;
  const selected = selectObjects(source, input.selection);
  const sorted = sortObjects([...selected.included].map((key) => source.objects.get(key)!));
  const blocked = new Map<string, string>();
  const objects: PlannedObject[] = [];
  for (const object of sorted.ordered) {
    // A view's stub stands for the view: where the view exists, so does what the stub gives.
    const identity = object.kind === 'view stub' ? `view ${object.key.slice('view stub '.length)}` : object.key;
    const there = destination?.objects.get(identity);
    const differs = there !== undefined && object.reapply === true && definitionOf(there) !== definitionOf(object);
    if (destination && !differs && (there !== undefined || samePrimaryKey(object, destination))) {
      objects.push({ object, action: 'exists' });
      continue;
    }
    const own = facts ? unmet(object, facts) : null;
    const needed = [...object.deps, ...(object.table ? [object.table] : [])].find((dep) => blocked.has(dep));
    const reason = own ?? (needed !== undefined ? `it needs ${source.objects.get(needed)?.label ?? needed}, which cannot be created` : null);
    if (reason !== null) {
      blocked.set(object.key, reason);
      objects.push({ object, action: 'missing', reason });
    } else {
      objects.push({ object, action: 'create' });
    }
  }
  return {
    objects,
    excluded: [...selected.excluded].map(([key, reason]) => ({ label: source.objects.get(key)?.label ?? key, reason })),
    structureOnly: selected.structureOnly,
    warnings: sorted.warnings,
  };
}
