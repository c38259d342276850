import { describe, expect, it } from 'vitest';

import { copyStatements } from '../../src/engine/copy/copy-stream.js';
import { sourceSelect } from '../../src/engine/sync/plan-table.js';
import type { ChunkPlan, TablePlan } from '../../src/engine/sync/sync-plan-types.js';

function plan(overrides: Partial<TablePlan> & { kind?: 'table' | 'partitioned' } = {}): TablePlan {
  const { kind = 'table', ...rest } = overrides;
  return {
    name: { schema: 'Sales', name: 'order items' },
    columns: ['id', 'email'],
    expressions: ['id', 'email'],
    where: null,
    params: [],
    key: ['id'],
    source: { kind, columns: [{ name: 'id', type: 'bigint', notNull: true }] },
    ...rest,
  } as unknown as TablePlan;
}

const whole: ChunkPlan = { id: 'x', lower: null, upper: null } as ChunkPlan;

describe('source reads', () => {
  it('reads a plain table with COPY table TO, skipping the executor', () => {
    const select = sourceSelect(plan(), whole);
    expect(select.table).toBe('"Sales"."order items" (id, email)');
    const statements = copyStatements({ select: select.sql, sourceTable: select.table, target: 't', format: 'binary' });
    expect(statements.out).toBe('COPY "Sales"."order items" (id, email) TO STDOUT (FORMAT binary)');
  });

  it('keeps COPY (SELECT …) for filters, rules, key ranges and partitioned parents', () => {
    expect(sourceSelect(plan({ where: "region = 'cn'" }), whole).table).toBeUndefined();
    expect(sourceSelect(plan({ expressions: ['id', 'md5(email)'] }), whole).table).toBeUndefined();
    expect(sourceSelect(plan(), { id: 'x', lower: '10', upper: '20' } as ChunkPlan).table).toBeUndefined();
    expect(sourceSelect(plan({ kind: 'partitioned' }), whole).table).toBeUndefined();
    const filtered = sourceSelect(plan({ where: 'id > 1' }), whole);
    expect(copyStatements({ select: filtered.sql, sourceTable: filtered.table, target: 't', format: 'text' }).out).toBe(
      'COPY (SELECT id, email FROM ONLY "Sales"."order items" WHERE id > 1) TO STDOUT (FORMAT text)',
    );
  });

  it('spells key-range bounds as quoted literals, so the planner uses the key index', () => {
    const select = sourceSelect(plan(), { id: 'x', lower: "10'; drop table t; --", upper: '20' } as ChunkPlan);
    expect(select.sql).toBe(`SELECT id, email FROM ONLY "Sales"."order items" WHERE id >= '10''; drop table t; --'::bigint AND id < '20'::bigint`);
    expect(select.params).toEqual([]);
  });

  it('lets the first key range take NULLs of a nullable key column, and reads page ranges by ctid', () => {
    const nullable = plan({ source: { kind: 'table', columns: [{ name: 'id', type: 'bigint', notNull: false }] } } as unknown as Partial<TablePlan>);
    expect(sourceSelect(nullable, { id: 'x', lower: null, upper: '20' } as ChunkPlan).sql).toBe(
      `SELECT id, email FROM ONLY "Sales"."order items" WHERE (id < '20'::bigint OR id IS NULL)`,
    );
    expect(sourceSelect(nullable, { id: 'x', lower: '20', upper: null } as ChunkPlan).sql).toBe(`SELECT id, email FROM ONLY "Sales"."order items" WHERE id >= '20'::bigint`);
    expect(sourceSelect(plan(), { id: 'x', lower: null, upper: '20' } as ChunkPlan).sql).toBe(`SELECT id, email FROM ONLY "Sales"."order items" WHERE id < '20'::bigint`);
    const pages = sourceSelect(plan({ key: null }), { id: 'x', lower: '(100,0)', upper: '(200,0)', by: 'ctid' });
    expect(pages.sql).toBe(`SELECT id, email FROM ONLY "Sales"."order items" WHERE ctid >= '(100,0)'::tid AND ctid < '(200,0)'::tid`);
  });
});
