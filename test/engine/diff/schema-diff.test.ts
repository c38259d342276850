import { describe, expect, it } from 'vitest';

import { unifiedDiff } from '../../../src/engine/diff/line-diff.js';
import { compareSchemaGraphs, diffSchemas } from '../../../src/engine/diff/schema-diff.js';
import type { SchemaGraph } from '../../../src/engine/schema/graph/read-schema-graph.js';
import { type SchemaObject, makeObject } from '../../../src/engine/schema/model/schema-object.js';
import { cliJson, runCli } from '../../helpers/run-cli.js';
import { createDatabasePair, runSql } from './diff-test-databases.js';

const base = `
CREATE SCHEMA app;
CREATE TABLE app.orders (id int PRIMARY KEY, status text DEFAULT 'new', total numeric(10,2));
CREATE INDEX orders_status ON app.orders (status);
CREATE VIEW app.open_orders AS SELECT id, total FROM app.orders WHERE status = 'new';
CREATE TABLE public.notes (id int, body text);
`;

function graph(objects: SchemaObject[]): SchemaGraph {
  return { serverVersionNum: 150000, objects: new Map(objects.map((o) => [o.key, o])) };
}

const table = (schema: string, name: string, create: string, owner = 'alice') =>
  makeObject({ key: `table ${schema}.${name}`, kind: 'table', schema, label: `table ${schema}.${name}`, section: 'pre-data', create: [create], owner, acl: null });

describe('compareSchemaGraphs', () => {
  it('matches by key, compares definitions, and narrows by schema and owner', () => {
    const source = graph([table('a', 't', 'CREATE TABLE a.t (x int)'), table('b', 'u', 'CREATE TABLE b.u (y int)'), table('a', 'gone', 'CREATE TABLE a.gone ()')]);
    const destination = graph([table('a', 't', 'CREATE TABLE a.t (x int)', 'bob'), table('b', 'u', 'CREATE TABLE b.u (y bigint)')]);
    const all = compareSchemaGraphs(source, destination);
    expect(all.differences.map((d) => [d.status, d.key, d.aspects])).toEqual([
      ['missing', 'table a.gone', []],
      ['different', 'table a.t', ['owner']],
      ['different', 'table b.u', ['definition']],
    ]);
    const narrowed = compareSchemaGraphs(source, destination, { schemas: ['a'], ignoreOwners: true });
    expect(narrowed.differences.map((d) => d.key)).toEqual(['table a.gone']);
    expect(narrowed.counts).toEqual({ equal: 1, missing: 1, extra: 0, different: 0 });
  });

  it('compares `definition` where a reader set one, so a masked secret never shows', () => {
    const mapping = (secret: string) =>
      makeObject({
        key: 'user mapping for x server s',
        kind: 'user mapping',
        schema: null,
        label: 'user mapping',
        section: 'pre-data',
        create: [`CREATE USER MAPPING FOR x SERVER s OPTIONS (password '${secret}')`],
        definition: `CREATE USER MAPPING FOR x SERVER s OPTIONS (password '***')`,
      });
    const diff = compareSchemaGraphs(graph([mapping('one')]), graph([]));
    expect(JSON.stringify(diff)).not.toContain('one');
    expect(compareSchemaGraphs(graph([mapping('one')]), graph([mapping('two')])).equal).toBe(true);
  });
});

describe('unifiedDiff', () => {
  it('prints hunks with context and nothing for equal texts', () => {
    expect(unifiedDiff('a\nb', 'a\nb', { before: 's', after: 'd' })).toEqual([]);
    const lines = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10'];
    const changed = [...lines];
    changed[1] = 'two';
    changed[8] = 'nine';
    expect(unifiedDiff(lines.join('\n'), changed.join('\n'), { before: 's', after: 'd' }, 1)).toEqual([
      '--- s',
      '+++ d',
      '@@ -1,3 +1,3 @@',
      ' 1',
      '-2',
      '+two',
      ' 3',
      '@@ -8,3 +8,3 @@',
      ' 8',
      '-9',
      '+nine',
      ' 10',
    ]);
    expect(unifiedDiff('a', 'a\nb', { before: 's', after: 'd' })).toEqual(['--- s', '+++ d', '@@ -1,1 +1,2 @@', ' a', '+b']);
  });
});

describe('pgferry diff --schema', () => {
  it('reports a missing table, an extra index, a different view and a different column default', async () => {
    const pair = await createDatabasePair(base);
    await runSql(pair.sourceUrl, `CREATE TABLE app.customers (id int PRIMARY KEY, name text)`);
    await runSql(
      pair.destinationUrl,
      `CREATE INDEX orders_total ON app.orders (total);
       CREATE OR REPLACE VIEW app.open_orders AS SELECT id, total FROM app.orders WHERE status IN ('new', 'open');
       ALTER TABLE app.orders ALTER COLUMN status SET DEFAULT 'open'`,
    );
    const diff = await diffSchemas(pair.source, pair.destination, { ignoreOwners: true, ignorePrivileges: true });
    const byKey = new Map(diff.differences.map((d) => [d.key, d]));
    expect(byKey.get('table app.customers')).toMatchObject({ status: 'missing', destination: null, source: { definition: expect.stringContaining('CREATE TABLE app.customers') } });
    expect(byKey.get('constraint app.customers.customers_pkey')).toMatchObject({ status: 'missing' });
    expect(byKey.get('index app.orders_total')).toMatchObject({ status: 'extra', source: null, destination: { definition: expect.stringContaining('(total)') } });
    expect(byKey.get('view app.open_orders')).toMatchObject({ status: 'different', aspects: ['definition'] });
    expect(byKey.get('view app.open_orders')!.destination!.definition).toContain("'open'");
    const orders = byKey.get('table app.orders');
    expect(orders).toMatchObject({ status: 'different', aspects: ['definition'] });
    expect(orders!.source!.definition).toContain("DEFAULT 'new'::text");
    expect(orders!.destination!.definition).toContain("DEFAULT 'open'::text");
    // Nothing else differs: the notes table, the status index and the key are equal on both sides.
    expect([...byKey.keys()].sort()).toEqual(['constraint app.customers.customers_pkey', 'index app.orders_total', 'table app.customers', 'table app.orders', 'view app.open_orders']);
    expect(diff.counts).toMatchObject({ missing: 2, extra: 1, different: 2 });

    const narrowed = await diffSchemas(pair.source, pair.destination, { schemas: ['public'] });
    expect(narrowed.equal).toBe(true);
  });

  it('exits 0 for equal schemas and 20 with differences, with valid JSON and a line diff', async () => {
    const pair = await createDatabasePair(base);
    const equal = await runCli(['diff', '--schema', '--from', pair.sourceUrl, '--to', pair.destinationUrl]);
    expect(equal.stderr).toBe('');
    expect(equal.code).toBe(0);
    expect(equal.stdout).toMatch(/object\(s\) compared: \d+ equal, 0 missing on the destination, 0 extra, 0 different/);

    await runSql(pair.destinationUrl, `CREATE OR REPLACE VIEW app.open_orders AS SELECT id, total FROM app.orders WHERE status = 'open'; DROP TABLE public.notes`);
    const human = await runCli(['diff', '--schema', '--from', pair.sourceUrl, '--to', pair.destinationUrl]);
    expect(human.code).toBe(20);
    expect(human.stdout).toContain('Missing on the destination (1):\n  - table public.notes');
    expect(human.stdout).toMatch(/Different \(1\):\n {2}≠ view app\.open_orders\n {6}--- source\n {6}\+\+\+ destination\n {6}@@/);
    expect(human.stdout).toMatch(/\n {6}- {2}WHERE \(orders\.status = 'new'::text\);?\n {6}\+ {2}WHERE \(orders\.status = 'open'::text\)/);

    const json = await runCli(['diff', '--schema', '--json', '--from', pair.sourceUrl, '--to', pair.destinationUrl, '--schemas', 'app']);
    expect(json.code).toBe(20);
    const output = cliJson(json) as { equal: boolean; exitCode: number; differences: { key: string; status: string }[] };
    expect(output).toMatchObject({ equal: false, exitCode: 20 });
    expect(output.differences.map((d) => [d.status, d.key])).toEqual([['different', 'view app.open_orders']]);

    const misuse = await runCli(['diff', '--schema', '--tables', 'x', '--from', pair.sourceUrl, '--to', pair.destinationUrl]);
    expect(misuse.code).toBe(2);
    const nothing = await runCli(['diff', '--schema', '--schemas', 'no_such_schema', '--from', pair.sourceUrl, '--to', pair.destinationUrl]);
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toMatch(/no object of either database is in --schemas no_such_schema/);
  });
});
