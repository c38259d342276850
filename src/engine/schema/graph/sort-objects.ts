import { type SchemaObject, type Section, kindPriority, makeObject } from '../model/schema-object.js';

const sectionRank: Record<Section, number> = { 'pre-data': 0, data: 1, 'post-data': 2 };
const sections: Section[] = ['pre-data', 'data', 'post-data'];

/** Kinds a view stub may need: it names only column types. */
const stubKinds = new Set(['schema', 'extension', 'collation', 'shell type', 'type', 'domain']);

export interface SortedObjects {
  /** Creation order: sections in turn, dependencies first, then kind priority, then key. */
  ordered: SchemaObject[];
  /** Cycles that no known break resolved (their objects are placed by kind priority). */
  warnings: string[];
}

/**
 * Moves an object to a later section when it needs an object of that section (a view that
 * relies on a primary key for GROUP BY is created after the key), until nothing moves.
 */
export function settleSections(objects: Map<string, SchemaObject>): void {
  for (let moved = true; moved; ) {
    moved = false;
    for (const object of objects.values()) {
      for (const dep of object.deps) {
        const needed = objects.get(dep);
        if (needed && sectionRank[needed.section] > sectionRank[object.section]) {
          object.section = needed.section;
          moved = true;
        }
      }
    }
  }
}

/** A binary heap of keys ordered by `rank`. */
class Queue {
  private items: SchemaObject[] = [];
  constructor(private readonly before: (a: SchemaObject, b: SchemaObject) => boolean) {}
  get size(): number {
    return this.items.length;
  }
  push(item: SchemaObject): void {
    const items = this.items;
    items.push(item);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(items[i]!, items[parent]!)) break;
      [items[i], items[parent]] = [items[parent]!, items[i]!];
      i = parent;
    }
  }
  pop(): SchemaObject | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length > 0 && last !== undefined) {
      items[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let best = i;
        if (l < items.length && this.before(items[l]!, items[best]!)) best = l;
        if (r < items.length && this.before(items[r]!, items[best]!)) best = r;
        if (best === i) break;
        [items[i], items[best]] = [items[best]!, items[i]!];
        i = best;
      }
    }
    return top;
  }
}

const before = (a: SchemaObject, b: SchemaObject): boolean => {
  if (a.section !== b.section) return sectionRank[a.section] < sectionRank[b.section];
  const pa = kindPriority.get(a.kind)!;
  const pb = kindPriority.get(b.kind)!;
  if (pa !== pb) return pa < pb;
  return a.key < b.key;
};

/**
 * Orders objects so that each comes after everything it needs (pg_dump's approach: a
 * topological sort that otherwise keeps the kind priority). A cycle through a view is
 * broken with the view's stub; any other cycle is reported and broken at its
 * lowest-priority object.
 */
export function sortObjects(input: Iterable<SchemaObject>): SortedObjects {
  const objects = new Map<string, SchemaObject>();
  for (const object of input) objects.set(object.key, object);
  settleSections(objects);
  const dependents = new Map<string, string[]>();
  const waiting = new Map<string, number>();
  for (const object of objects.values()) {
    let count = 0;
    for (const dep of object.deps) {
      if (!objects.has(dep) || dep === object.key) continue;
      count++;
      const list = dependents.get(dep) ?? [];
      list.push(object.key);
      dependents.set(dep, list);
    }
    waiting.set(object.key, count);
  }
  const queue = new Queue(before);
  for (const object of objects.values()) if (waiting.get(object.key) === 0) queue.push(object);
  const ordered: SchemaObject[] = [];
  const warnings: string[] = [];
  const satisfied = new Set<string>();
  const emitted = new Set<string>();
  const satisfy = (key: string) => {
    if (satisfied.has(key)) return;
    satisfied.add(key);
    for (const dependent of dependents.get(key) ?? []) {
      const left = waiting.get(dependent)! - 1;
      waiting.set(dependent, left);
      if (left === 0 && !emitted.has(dependent)) queue.push(objects.get(dependent)!);
    }
  };
  const emit = (object: SchemaObject) => {
    if (emitted.has(object.key)) return;
    emitted.add(object.key);
    ordered.push(object);
    satisfy(object.key);
  };

  while (emitted.size < objects.size) {
    const next = queue.pop();
    if (next !== undefined) {
      emit(next);
      continue;
    }
    const cycle = findCycle(objects, emitted, satisfied);
    const view = cycle.map((key) => objects.get(key)!).find((o) => o.stub !== undefined && !satisfied.has(o.key));
    if (view) {
      // The stub stands in for the view; the view's real definition follows its dependencies.
      const stub = makeObject({
        key: `view stub ${view.key.replace(/^view /, '')}`,
        kind: 'view stub',
        schema: view.schema,
        label: `placeholder of ${view.label}`,
        section: view.section,
        create: view.stub!.create,
        deps: new Set([...view.deps].filter((d) => stubKinds.has(objects.get(d)?.kind ?? ''))),
      });
      ordered.push(stub);
      satisfy(view.key);
      continue;
    }
    const victim = cycle.map((key) => objects.get(key)!).sort((a, b) => (before(a, b) ? -1 : 1))[0]!;
    warnings.push(`dependency cycle ${cycle.join(' → ')}: ${victim.label} is created before what it needs and may fail`);
    emit(victim);
  }
  // Sections stay contiguous: stubs and forced objects were placed where they were needed.
  return { ordered: sections.flatMap((s) => ordered.filter((o) => o.section === s)), warnings };
}

/** One cycle among the objects not yet placed (each waits on another). */
function findCycle(objects: Map<string, SchemaObject>, emitted: Set<string>, satisfied: Set<string>): string[] {
  const pending = (key: string) => objects.has(key) && !emitted.has(key) && !satisfied.has(key);
  const start = [...objects.keys()].find((k) => !emitted.has(k))!;
  const path: string[] = [];
  const index = new Map<string, number>();
  let current = start;
  for (;;) {
    const at = index.get(current);
    if (at !== undefined) return path.slice(at);
    index.set(current, path.length);
    path.push(current);
    const next = [...objects.get(current)!.deps].find(pending);
    if (next === undefined) return [current];
    current = next;
  }
}
