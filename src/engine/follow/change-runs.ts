export type RunKind = 'insert' | 'update' | 'delete';

/** A keyed change waiting to be applied with others of its kind in one set-based statement. */
export interface RunChange<T> {
  kind: RunKind;
  /** Keys the change touches (the old and the new one of an update), as comparable strings. */
  keys: string[];
  /** Changes of the same group share one statement shape (an update's assigned columns). */
  group: string;
  item: T;
}

export interface RunGroup<T> {
  kind: RunKind;
  group: string;
  items: T[];
}

/** Deletes free keys (and unique values) before updates and inserts take them. */
const kindRank: Record<RunKind, number> = { delete: 0, update: 1, insert: 2 };

/**
 * The buffered changes of one table. Changes of distinct keys commute, so a change joins the
 * buffer only when it touches no key already touched there; otherwise the buffer must be
 * applied first, keeping the source order where it matters (insert then update of one key,
 * an update chain, a key freed and taken again). Changes of different kinds are reordered
 * only with `reorderKinds` (the key is the table's only unique constraint and foreign keys
 * do not fire), else a change of another group ends the run.
 */
export class TableRun<T> {
  readonly #reorderKinds: boolean;
  readonly #groups = new Map<string, RunGroup<T>>();
  readonly #touched = new Set<string>();
  #size = 0;

  constructor(reorderKinds: boolean) {
    this.#reorderKinds = reorderKinds;
  }

  get size(): number {
    return this.#size;
  }

  /** False when the change does not commute with the buffer: drain it first. */
  accepts(change: RunChange<T>): boolean {
    if (this.#size === 0) return true;
    if (change.keys.some((key) => this.#touched.has(key))) return false;
    return this.#reorderKinds || this.#groups.has(groupKey(change));
  }

  add(change: RunChange<T>): void {
    const key = groupKey(change);
    let group = this.#groups.get(key);
    if (!group) {
      group = { kind: change.kind, group: change.group, items: [] };
      this.#groups.set(key, group);
    }
    group.items.push(change.item);
    for (const touched of change.keys) this.#touched.add(touched);
    this.#size++;
  }

  /** The buffered groups in an order that is safe to apply (deletes, updates, inserts), and empties the buffer. */
  drain(): RunGroup<T>[] {
    const groups = [...this.#groups.values()].sort((a, b) => kindRank[a.kind] - kindRank[b.kind]);
    this.#groups.clear();
    this.#touched.clear();
    this.#size = 0;
    return groups;
  }
}

const groupKey = (change: { kind: RunKind; group: string }) => `${change.kind}:${change.group}`;
