import { describe, expect, it } from 'vitest';

import { childRange, diffKeyedRows, hashBounds } from '../../../src/engine/diff/bisect-table.js';
import { describeRange } from '../../../src/engine/diff/describe-range.js';
import { selectTables } from '../../../src/engine/diff/select-tables.js';

describe('bisection logic', () => {
  it('cuts a hash range into equal widths that cover it exactly', () => {
    const bounds = hashBounds('0', '15', 4);
    expect(bounds).toEqual(['4', '8', '12']);
    const children = [0, 1, 2, 3].map((bucket) => childRange({ kind: 'hash', lower: '0', upper: '15' }, bounds, bucket));
    expect(children).toEqual([
      { kind: 'hash', lower: '0', upper: '3' },
      { kind: 'hash', lower: '4', upper: '7' },
      { kind: 'hash', lower: '8', upper: '11' },
      { kind: 'hash', lower: '12', upper: '15' },
    ]);
    expect(hashBounds('7', '7', 16)).toEqual([]);
    const full = hashBounds((-(2n ** 63n)).toString(), (2n ** 63n - 1n).toString(), 16);
    expect(full).toHaveLength(15);
    expect(full[7]).toBe('0');
  });

  it('makes key sub-ranges half-open and keeps the outer bounds', () => {
    const range = { kind: 'key' as const, lower: ['10'], upper: null };
    expect(childRange(range, [['20'], ['30']], 0)).toEqual({ kind: 'key', lower: ['10'], upper: ['20'] });
    expect(childRange(range, [['20'], ['30']], 2)).toEqual({ kind: 'key', lower: ['30'], upper: null });
  });

  it('classifies leaf rows as missing, extra or changed', () => {
    const differences = diffKeyedRows(
      [
        { key: ['1'], h1: 'a', h2: 'a' },
        { key: ['2'], h1: 'b', h2: 'b' },
        { key: ['3'], h1: 'c', h2: 'c' },
      ],
      [
        { key: ['2'], h1: 'b', h2: 'x' },
        { key: ['3'], h1: 'c', h2: 'c' },
        { key: ['4'], h1: 'd', h2: 'd' },
      ],
    );
    expect(differences).toEqual([
      { kind: 'missing', key: ['1'] },
      { kind: 'changed', key: ['2'] },
      { kind: 'extra', key: ['4'] },
    ]);
  });

  it('describes ranges for people', () => {
    expect(describeRange({ kind: 'key', lower: null, upper: null }, ['id'])).toBe('whole table');
    expect(describeRange({ kind: 'key', lower: ['1', 'a'], upper: ['2', 'b'] }, ['n', 's'])).toBe('key from (n="1", s="a") before (n="2", s="b")');
    expect(describeRange({ kind: 'hash', lower: '0', upper: '9' }, null)).toMatch(/hash is in \[0, 9\]/);
  });

  it('selects tables by schema, schema.table globs and table-name globs', () => {
    const tables = [
      { schema: 'sales', name: 'orders' },
      { schema: 'sales', name: 'audit_log' },
      { schema: 'hr', name: 'staff' },
      { schema: 'hr', name: 'audit_x' },
    ];
    expect(selectTables(tables, { tables: ['sales.*', 'hr.staff'], exclude: ['audit_*'] })).toEqual([
      { schema: 'sales', name: 'orders' },
      { schema: 'hr', name: 'staff' },
    ]);
    expect(selectTables(tables, { schemas: ['hr'] })).toHaveLength(2);
    expect(selectTables(tables, {})).toHaveLength(4);
  });
});
