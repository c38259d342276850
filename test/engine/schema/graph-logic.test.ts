import { describe, expect, it } from 'vitest';

import type { SchemaGraph } from '../../../src/engine/schema/graph/read-schema-graph.js';
import { selectObjects } from '../../../src/engine/schema/graph/select-objects.js';
import { sortObjects } from '../../../src/engine/schema/graph/sort-objects.js';
import { type ObjectKind, type SchemaObject, type Section, makeObject } from '../../../src/engine/schema/model/schema-object.js';
import { planSchema } from '../../../src/engine/schema/plan/plan-schema.js';
import { splitPostData } from '../../../src/engine/schema/plan/split-post-data.js';
import { withIndexOptions } from '../../../src/engine/schema/read/read-table-parts.js';

const object = (kind: ObjectKind, name: string, deps: string[] = [], extra: Partial<SchemaObject> = {}): SchemaObject =>
  makeObject({
    key: `${kind} ${name}`,
    kind,
    schema: name.includes('.') ? name.split('.')[0]! : null,
    label: `${kind} ${name}`,
    section: (['constraint', 'index', 'trigger', 'foreign key', 'event trigger'].includes(kind) ? 'post-data' : 'pre-data') as Section,
    create: [`CREATE ${kind} ${name}`],
    deps: new Set(deps),
    ...extra,
  });

const graphOf = (...objects: SchemaObject[]): SchemaGraph => ({ serverVersionNum: 150000, objects: new Map(objects.map((o) => [o.key, o])) });
const keys = (objects: { key: string }[]) => objects.map((o) => o.key);

describe('sortObjects', () => {
  it('puts dependencies first and otherwise keeps the kind priority', () => {
    const sorted = sortObjects([
      object('view', 'a.v', ['table a.t', 'function a.f()']),
      object('function', 'a.f()', ['table a.t']),
      object('table', 'a.t', ['schema a']),
      object('schema', 'a'),
      object('type', 'a.mood', ['schema a']),
    ]);
    expect(keys(sorted.ordered)).toEqual(['schema a', 'type a.mood', 'table a.t', 'function a.f()', 'view a.v']);
    expect(sorted.warnings).toEqual([]);
  });

  it('moves an object that needs a post-data object to post-data (a view grouping by a primary key)', () => {
    const sorted = sortObjects([
      object('table', 'a.t'),
      object('constraint', 'a.t.t_pkey', ['table a.t'], { table: 'table a.t' }),
      object('view', 'a.v', ['table a.t', 'constraint a.t.t_pkey']),
    ]);
    expect(sorted.ordered.map((o) => `${o.section} ${o.key}`)).toEqual(['pre-data table a.t', 'post-data constraint a.t.t_pkey', 'post-data view a.v']);
  });

  it('breaks a view ↔ function cycle with the view stub, and reports a cycle it cannot break', () => {
    const view = object('view', 'a.v', ['function a.f()'], { stub: { create: ['CREATE VIEW a.v AS SELECT NULL::int AS x'], deps: new Set() } });
    const sorted = sortObjects([view, object('function', 'a.f()', ['view a.v'])]);
    expect(keys(sorted.ordered)).toEqual(['view stub a.v', 'function a.f()', 'view a.v']);
    expect(sorted.warnings).toEqual([]);

    const stuck = sortObjects([object('type', 'a.x', ['function a.g()']), object('function', 'a.g()', ['type a.x'])]);
    expect(stuck.ordered).toHaveLength(2);
    expect(stuck.warnings[0]).toMatch(/dependency cycle/);
  });
});

describe('selectObjects', () => {
  const graph = graphOf(
    object('schema', 'a'),
    object('schema', 'x'),
    object('domain', 'x.positive', ['schema x']),
    object('table', 'a.t', ['schema a', 'domain x.positive']),
    object('table', 'a.skip', ['schema a']),
    object('index', 'a.t_idx', ['table a.t'], { table: 'table a.t' }),
    object('foreign key', 'a.t.fk', ['table a.t', 'table a.skip'], { table: 'table a.t' }),
    object('view', 'a.over_skip', ['table a.skip']),
    object('view', 'a.over_t', ['table a.t']),
    object('event trigger', 'audit'),
  );

  it('pulls what the selection needs from any schema and leaves out what needs an unselected table', () => {
    const selected = selectObjects(graph, { schemas: new Set(['a']), table: (_s, name) => name !== 'skip' });
    expect([...selected.included].sort()).toEqual(['domain x.positive', 'index a.t_idx', 'schema a', 'schema x', 'table a.t', 'view a.over_t']);
    expect([...selected.excluded.keys()].sort()).toEqual(['foreign key a.t.fk', 'table a.skip', 'view a.over_skip']);
    expect(selected.excluded.get('view a.over_skip')).toContain('not selected');
  });

  it('takes database-level objects only for the whole database', () => {
    expect(selectObjects(graph, { schemas: null, table: () => true }).included.has('event trigger audit')).toBe(true);
    expect(selectObjects(graph, { schemas: new Set(['a']), table: () => true }).included.has('event trigger audit')).toBe(false);
  });
});

describe('planSchema', () => {
  it('creates what the destination lacks and names what it cannot take, with everything that needs it', () => {
    const source = graphOf(
      object('extension', 'postgis'),
      object('table', 'public.places', ['extension postgis']),
      object('index', 'public.places_geo', ['table public.places'], { table: 'table public.places' }),
      object('table', 'public.notes'),
      object('policy', 'public.notes.mine', ['table public.notes'], { table: 'table public.notes', requires: { roles: ['app_user'] } }),
    );
    const destination = graphOf(object('table', 'public.notes'));
    const plan = planSchema({
      source,
      destination,
      facts: { serverVersionNum: 150000, superuser: true, roles: new Set(['postgres']), availableExtensions: new Set(['plpgsql']) },
      selection: { schemas: null, table: () => true },
    });
    const byKey = new Map(plan.objects.map((p) => [p.object.key, p]));
    expect(byKey.get('table public.notes')?.action).toBe('exists');
    expect(byKey.get('extension postgis')?.reason).toContain('not installed');
    expect(byKey.get('table public.places')?.action).toBe('missing');
    expect(byKey.get('index public.places_geo')?.action).toBe('missing');
    expect(byKey.get('policy public.notes.mine')?.reason).toContain('"app_user" does not exist');
  });
});

describe('splitPostData', () => {
  it('groups a loaded table’s own objects and leaves the rest for after all data', () => {
    const table = 'table a.t';
    const objects = [
      object('constraint', 'a.t.pk', [table], { table }),
      object('index', 'a.i', [table], { table }),
      object('table option', 'a.t.i', [table, 'index a.i'], { table, section: 'post-data' }),
      object('foreign key', 'a.t.fk', [table, 'table a.u'], { table }),
      object('index', 'a.u_i', ['table a.u'], { table: 'table a.u' }),
    ].map((o) => ({ object: o, action: 'create' as const }));
    const split = splitPostData(objects, new Set([table]));
    expect(split.groups.get(table)?.map((s) => s.sql)).toEqual(['CREATE constraint a.t.pk', 'CREATE index a.i', 'CREATE table option a.t.i']);
    expect(split.final.map((s) => s.sql)).toEqual(['CREATE foreign key a.t.fk', 'CREATE index a.u_i']);
  });
});

describe('withIndexOptions', () => {
  it('puts a key index storage parameters after the columns and INCLUDE, before WHERE and DEFERRABLE', () => {
    expect(withIndexOptions('PRIMARY KEY (id)', ['fillfactor=90'])).toBe("PRIMARY KEY (id) WITH (fillfactor='90')");
    expect(withIndexOptions('UNIQUE (a) INCLUDE (b) DEFERRABLE INITIALLY DEFERRED', ['fillfactor=70'])).toBe(
      "UNIQUE (a) INCLUDE (b) WITH (fillfactor='70') DEFERRABLE INITIALLY DEFERRED",
    );
    expect(withIndexOptions('EXCLUDE USING gist (r WITH &&) WHERE ((active = true))', ['fillfactor=60'])).toBe(
      "EXCLUDE USING gist (r WITH &&) WITH (fillfactor='60') WHERE ((active = true))",
    );
    expect(withIndexOptions('PRIMARY KEY (id)', null)).toBe('PRIMARY KEY (id)');
  });
});
