import { describe, expect, it } from 'vitest';

import { type RunChange, type RunKind, TableRun } from '../../src/engine/follow/change-runs.js';

const change = (kind: RunKind, keys: string[], item: string, group = ''): RunChange<string> => ({ kind, keys, group, item });

/** Feeds changes as the applier does (drain when a change does not commute) and returns the statements' groups. */
function apply(reorderKinds: boolean, changes: RunChange<string>[]): string[][] {
  const run = new TableRun<string>(reorderKinds);
  const statements: string[][] = [];
  const drain = () => statements.push(...run.drain().map((g) => [g.kind, ...g.items]));
  for (const c of changes) {
    if (!run.accepts(c)) drain();
    run.add(c);
  }
  drain();
  return statements;
}

describe('change runs: which changes share a set-based statement', () => {
  it('merges inserts, deletes and updates of distinct keys into one statement per kind, deletes first', () => {
    const statements = apply(true, [change('insert', ['1'], 'i1'), change('delete', ['9'], 'd9'), change('insert', ['2'], 'i2'), change('update', ['5'], 'u5'), change('delete', ['8'], 'd8')]);
    expect(statements).toEqual([
      ['delete', 'd9', 'd8'],
      ['update', 'u5'],
      ['insert', 'i1', 'i2'],
    ]);
  });

  it('keeps the source order for changes of the same key: insert, update, delete, insert again', () => {
    const statements = apply(true, [change('insert', ['1'], 'i1'), change('update', ['1'], 'u1'), change('delete', ['1'], 'd1'), change('insert', ['1'], 'i1b'), change('insert', ['2'], 'i2')]);
    expect(statements).toEqual([['insert', 'i1'], ['update', 'u1'], ['delete', 'd1'], ['insert', 'i1b', 'i2']]);
  });

  it('ends the run at an update chain through a changed key (1→2, then 2→3)', () => {
    const statements = apply(true, [change('update', ['1', '2'], 'u1to2'), change('update', ['2', '3'], 'u2to3'), change('update', ['7'], 'u7')]);
    expect(statements).toEqual([['update', 'u1to2'], ['update', 'u2to3', 'u7']]);
  });

  it('keeps updates that assign different columns in different statements', () => {
    const statements = apply(true, [change('update', ['1'], 'a1', 'a'), change('update', ['2'], 'b2', 'b'), change('update', ['3'], 'a3', 'a')]);
    expect(statements).toEqual([
      ['update', 'a1', 'a3'],
      ['update', 'b2'],
    ]);
  });

  it('without reordering of kinds, only consecutive changes of one kind share a statement', () => {
    const statements = apply(false, [change('insert', ['1'], 'i1'), change('insert', ['2'], 'i2'), change('delete', ['9'], 'd9'), change('insert', ['3'], 'i3'), change('insert', ['3'], 'i3b')]);
    expect(statements).toEqual([['insert', 'i1', 'i2'], ['delete', 'd9'], ['insert', 'i3'], ['insert', 'i3b']]);
  });

  it('is empty after a drain', () => {
    const run = new TableRun<string>(true);
    run.add(change('insert', ['1'], 'i1'));
    expect(run.size).toBe(1);
    run.drain();
    expect(run.size).toBe(0);
    expect(run.drain()).toEqual([]);
    expect(run.accepts(change('delete', ['1'], 'd1'))).toBe(true);
  });
});
