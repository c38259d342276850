import { describe, expect, it } from 'vitest';

import { type RelationMessage, relationChange } from '../../src/engine/follow/apply-relation.js';
import type { TablePlan } from '../../src/engine/sync/sync-plan-types.js';

/** The parts of a table plan the applier reads (a plan from planSync has them all). */
function plan(overrides: Partial<TablePlan> = {}): TablePlan {
  return {
    id: 'app.orders',
    name: { schema: 'app', name: 'orders' },
    key: ['id'],
    columns: ['id', 'email', 'doc'],
    expressions: ['id', 'email', 'doc'],
    where: null,
    params: [],
    source: {
      oid: 500,
      columns: [
        { name: 'id', type: 'integer', typeOid: 23, category: 'N', generated: null },
        { name: 'email', type: 'text', typeOid: 25, category: 'S', generated: null },
        { name: 'doc', type: 'jsonb', typeOid: 3802, category: 'U', generated: null },
      ],
    },
    ...overrides,
  } as unknown as TablePlan;
}

const relation = (overrides: Partial<RelationMessage> = {}): RelationMessage => ({
  tag: 'relation',
  relationOid: 500,
  schema: 'app',
  name: 'orders',
  replicaIdentity: 'd',
  columns: [
    { key: true, name: 'id', typeOid: 23, typeMod: -1 },
    { key: false, name: 'email', typeOid: 25, typeMod: -1 },
    { key: false, name: 'doc', typeOid: 3802, typeMod: -1 },
  ],
  ...overrides,
});

const input = (r: RelationMessage, p: TablePlan, extra: { previous?: RelationMessage; destination?: string[] } = {}) => ({
  relation: r,
  previous: extra.previous,
  plans: [p],
  destinationColumns: new Set(extra.destination ?? ['id', 'email', 'doc']),
  resolveType: async () => ({ type: 'date', category: 'D' }),
  describeColumn: async () => ({ default: null, notNull: false, hasMissing: false }),
  rules: [],
  ruleKey: 'k',
});

const text = (value: string) => ({ kind: 'text' as const, value });

describe('relation appliers', () => {
  it('builds parameterised statements with the source types, keeping unchanged TOAST values and an unchanged key out of SET', async () => {
    const { applier, addColumns } = await relationChange(input(relation(), plan()));
    expect(addColumns).toEqual([]);
    const insert = applier.insert([text('1'), { kind: 'null' }, text('{"a":1}')]);
    expect(insert.text).toContain('INSERT INTO app.orders (id, email, doc) OVERRIDING SYSTEM VALUE');
    expect(insert.text).toContain('$1::integer AS id, $2::text AS email, $3::jsonb AS doc');
    expect(insert.values).toEqual(['1', null, '{"a":1}']);
    const update = applier.update(null, [text('1'), text('x@y'), { kind: 'unchanged' }])!;
    expect(update.text).toMatch(/SET email = n\.email FROM/);
    expect(update.text).not.toContain('doc = ');
    expect(update.text).toContain('d.id = o.id');
    // Same shape, same prepared statement.
    expect(applier.update(null, [text('2'), text('z'), { kind: 'unchanged' }])!.name).toBe(update.name);
    // A key change sets the key too.
    expect(applier.update([text('1'), { kind: 'null' }, { kind: 'null' }], [text('9'), text('x'), text('{}')])!.text).toContain('id = n.id');
  });

  it('matches every old value as text, one row at a time, for REPLICA IDENTITY FULL without a key', async () => {
    const { applier } = await relationChange(input(relation({ replicaIdentity: 'f' }), plan({ key: null })));
    const del = applier.delete([text('1'), { kind: 'null' }, text('{}')]);
    expect(del.text).toContain('d.ctid = (SELECT x.ctid FROM app.orders AS x');
    expect(del.text).toContain('x.doc::text IS NOT DISTINCT FROM o.doc::text');
    expect(del.text).toContain('LIMIT 1');
  });

  it('adds a new column and refuses dropped or retyped columns and renamed tables', async () => {
    const added = relation({ columns: [...relation().columns, { key: false, name: 'placed', typeOid: 1082, typeMod: -1 }] });
    const change = await relationChange(input(added, plan()));
    expect(change.addColumns).toEqual(['ALTER TABLE app.orders ADD COLUMN IF NOT EXISTS placed date']);
    const previous = relation();
    await expect(relationChange(input(relation({ columns: relation().columns.slice(0, 2) }), plan(), { previous }))).rejects.toThrow(/table app\.orders changed at the source: column "doc" was dropped/);
    const retyped = relation({ columns: [relation().columns[0]!, { key: false, name: 'email', typeOid: 1043, typeMod: 54 }, relation().columns[2]!] });
    await expect(relationChange(input(retyped, plan()))).rejects.toMatchObject({ code: 'PGF_FOLLOW_SCHEMA_CHANGED', message: expect.stringContaining('column "email" changed type') });
    await expect(relationChange(input(relation({ name: 'orders_old' }), plan()))).rejects.toThrow(/was renamed \(now app\.orders_old, followed as app\.orders\)/);
  });
});
