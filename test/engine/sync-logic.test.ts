import { describe, expect, it } from 'vitest';

import { findRule, ruleExpression } from '../../src/engine/sync/column-rules.js';
import { loadOrder } from '../../src/engine/sync/load-order.js';
import { QueryParams } from '../../src/engine/sync/query-params.js';
import { backoffMs, isTransientError } from '../../src/engine/sync/retry-policy.js';
import { parseRules } from '../../src/engine/sync/rules-file.js';
import { tableSelector } from '../../src/engine/sync/select-tables.js';
import { bindFilter } from '../../src/engine/sync/where-filter.js';
import type { CatalogColumn } from '../../src/engine/schema/schema-types.js';

const col = (name: string, type = 'text', category = 'S'): CatalogColumn => ({
  name, type, typeOid: 25, binarySafe: true, category, notNull: false, default: null, identity: '', identitySequence: null, generated: null, collation: null, comment: null,
});

describe('table selection globs', () => {
  it('matches schema.table or table names, with excludes', () => {
    const select = tableSelector({ tables: ['sales.*', 'staff'], exclude: ['audit_*'] });
    expect(select({ schema: 'sales', name: 'orders' })).toBe(true);
    expect(select({ schema: 'sales', name: 'audit_log' })).toBe(false);
    expect(select({ schema: 'hr', name: 'staff' })).toBe(true);
    expect(select({ schema: 'hr', name: 'pay' })).toBe(false);
    const bySchema = tableSelector({ schemas: ['hr'] });
    expect(bySchema({ schema: 'hr', name: 'x' })).toBe(true);
    expect(bySchema({ schema: 'sales', name: 'x' })).toBe(false);
  });
});

describe('load order', () => {
  it('puts parents first, larger tables first when free, and reports cycles', () => {
    const result = loadOrder([
      { id: 'orders', references: ['customers'], size: 100 },
      { id: 'customers', references: [], size: 10 },
      { id: 'logs', references: [], size: 1000 },
      { id: 'a', references: ['b'], size: 1 },
      { id: 'b', references: ['a'], size: 2 },
      { id: 'tree', references: ['tree'], size: 5 },
    ]);
    expect(result.order.indexOf('customers')).toBeLessThan(result.order.indexOf('orders'));
    expect(result.order[0]).toBe('logs');
    expect(result.order).toHaveLength(6);
    expect(result.cycles).toEqual(expect.arrayContaining([['a', 'b'], ['tree']]));
    expect(result.cycles).toHaveLength(2);
  });
});

describe('column rules', () => {
  it('matches column, table.column and schema.table.column globs, first match wins', () => {
    const rules = [
      { match: 'crm.users.email', strategy: 'null' as const },
      { match: 'users.*', strategy: 'hash' as const },
      { match: 'email', strategy: 'unique_email' as const },
    ];
    expect(findRule(rules, { schema: 'crm', name: 'users' }, 'email')?.strategy).toBe('null');
    expect(findRule(rules, { schema: 'hr', name: 'users' }, 'email')?.strategy).toBe('hash');
    expect(findRule(rules, { schema: 'hr', name: 'staff' }, 'email')?.strategy).toBe('unique_email');
    expect(findRule(rules, { schema: 'hr', name: 'staff' }, 'phone')).toBeUndefined();
  });

  it('builds SQL that binds values as parameters and casts back to the column type', () => {
    const params = new QueryParams('pgferry.t1_');
    expect(ruleExpression({ match: 'x', strategy: 'value', argument: "x'; drop table t; --" }, col('note'), params, 'k')).toBe(`(current_setting('pgferry.t1_1'))::text`);
    expect(params.entries).toEqual([['pgferry.t1_1', "x'; drop table t; --"]]);
    const email = ruleExpression({ match: 'email', strategy: 'unique_email' }, col('Email', 'character varying(40)'), params, 'k');
    expect(email).toBe(`(CASE WHEN "Email" IS NULL THEN NULL ELSE left('user_' || left(md5(current_setting('pgferry.t1_2') || "Email"::text), 16) || '@example.com', 40) END)::character varying(40)`);
    expect(ruleExpression({ match: 'n', strategy: 'null' }, col('n', 'integer', 'N'), params, 'k')).toBe('(NULL)::integer');
    expect(ruleExpression({ match: 'n', strategy: 'truncate', argument: '3' }, col('n'), params, 'k')).toBe('(left(n::text, 3))::text');
    expect(() => ruleExpression({ match: 'd', strategy: 'hash' }, col('d', 'date', 'D'), params, 'k')).toThrow(/hash works on/);
  });

  it('reads pgsync-style YAML rules in order', () => {
    const parsed = parseRules(`key: s3cret\nrules:\n  email: unique_email\n  users.token: { value: hidden }\n  visits: { statement: "(random() * 10)::int" }\n  age: { strategy: random_int, min: 18, max: 90 }\n  notes: truncate:20\n`);
    expect(parsed.key).toBe('s3cret');
    expect(parsed.rules).toEqual([
      { match: 'email', strategy: 'unique_email', argument: undefined },
      { match: 'users.token', strategy: 'value', argument: 'hidden' },
      { match: 'visits', strategy: 'sql', argument: '(random() * 10)::int' },
      { match: 'age', strategy: 'random_int', argument: '18,90' },
      { match: 'notes', strategy: 'truncate', argument: '20' },
    ]);
    expect(() => parseRules('rules:\n  a: shred\n')).toThrow(/rule "a": unknown rule "shred"/);
    expect(() => parseRules('rules:\n  a: truncate:many\n')).toThrow(/truncate takes a length/);
  });

  it("keeps pgsync's meanings: YAML null sets NULL, untouched keeps the column", () => {
    const parsed = parseRules('data_rules:\n  users.bio: untouched\n  encrypted_*: null\n  bio: "null"\n');
    expect(parsed.rules).toEqual([
      { match: 'users.bio', strategy: 'untouched', argument: undefined },
      { match: 'encrypted_*', strategy: 'null' },
      { match: 'bio', strategy: 'null', argument: undefined },
    ]);
  });
});

describe('filters and retries', () => {
  it('binds {{placeholders}} as parameters and refuses unknown ones', () => {
    const params = new QueryParams('pgferry.t2_');
    expect(bindFilter('updated_at > {{last_success_at}} AND x = {{ v }}', { last_success_at: { value: '2024-01-01', type: 'timestamptz' }, v: { value: "'" } }, params)).toBe(
      `updated_at > (current_setting('pgferry.t2_1')::timestamptz) AND x = (current_setting('pgferry.t2_2'))`,
    );
    expect(() => bindFilter('a = {{nope}}', {}, params)).toThrow(/\{\{nope\}\}/);
  });

  it('retries transient SQLSTATEs along the cause chain with capped backoff', () => {
    expect(isTransientError({ code: '57P01' })).toBe(true);
    expect(isTransientError(new Error('wrapped', { cause: { code: '40001' } }))).toBe(true);
    expect(isTransientError(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isTransientError({ code: '42601' })).toBe(false);
    expect(isTransientError({ code: '28P01' })).toBe(false);
    expect([1, 2, 3, 10].map((a) => backoffMs(a, { attempts: 5, baseDelayMs: 100, maxDelayMs: 500 }))).toEqual([100, 200, 400, 500]);
  });
});

describe('merge statements', () => {
  it('upserts from the staging table, skipping unchanged rows, and deletes for mirror', async () => {
    const { mergeStatements } = await import('../../src/engine/sync/load-chunk.js');
    const plan = {
      name: { schema: 'Shop', name: 'order' },
      mode: 'mirror',
      key: ['id'],
      columns: ['id', 'total', 'note', 'seq'],
      source: { columns: [col('id', 'bigint', 'N'), col('total', 'numeric(10,2)', 'N'), col('note'), { ...col('seq', 'integer', 'N'), identity: 'a' as const }] },
    } as unknown as Parameters<typeof mergeStatements>[0];
    const sql = mergeStatements(plan);
    expect(sql.insert).toBe(
      'INSERT INTO "Shop"."order" AS d (id, total, note, seq) OVERRIDING SYSTEM VALUE SELECT id, total, note, seq FROM pg_temp.pgferry_stage ' +
        'ON CONFLICT (id) DO UPDATE SET total = EXCLUDED.total, note = EXCLUDED.note WHERE ROW(d.total::text, d.note) IS DISTINCT FROM ROW(EXCLUDED.total::text, EXCLUDED.note)',
    );
    expect(sql.delete).toBe('DELETE FROM "Shop"."order" AS d WHERE NOT EXISTS (SELECT 1 FROM pg_temp.pgferry_stage s WHERE s.id = d.id)');
    expect(mergeStatements({ ...plan, mode: 'append' } as typeof plan).insert).toMatch(/ON CONFLICT \(id\) DO NOTHING$/);
  });
});
