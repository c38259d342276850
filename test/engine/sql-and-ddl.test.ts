import { describe, expect, it } from 'vitest';

import { createTableDdl, createTypeDdl, foreignKeyDdl, tablePostDataDdl } from '../../src/engine/schema/generate-ddl.js';
import type { CatalogColumn, CatalogTable } from '../../src/engine/schema/schema-types.js';
import { detectDrift } from '../../src/engine/schema/detect-drift.js';
import { qualified, quoteIdent, quoteLiteral } from '../../src/engine/sql/quote-ident.js';

const column = (name: string, extra: Partial<CatalogColumn> = {}): CatalogColumn => ({
  name,
  type: 'text',
  typeOid: 25,
  binarySafe: true,
  category: 'S',
  notNull: false,
  default: null,
  identity: '',
  identitySequence: null,
  generated: null,
  collation: null,
  comment: null,
  ...extra,
});

const table = (extra: Partial<CatalogTable> = {}): CatalogTable => ({
  name: { schema: 'Sales Dept', name: 'order' },
  oid: 1,
  kind: 'table',
  unlogged: false,
  columns: [column('id', { type: 'bigint', notNull: true, identity: 'a' }), column('Note "x"', { comment: "it's" })],
  partitionKey: null,
  partitionOf: null,
  constraints: [],
  indexes: [],
  triggers: [],
  key: ['id'],
  keySource: 'primary key',
  estimatedRows: 0,
  estimatedBytes: 0,
  rowSecurity: { enabled: false, forced: false },
  policies: [],
  comment: null,
  ...extra,
});

describe('quoteIdent', () => {
  it('leaves plain lower-case names bare and quotes everything else', () => {
    expect(quoteIdent('orders')).toBe('orders');
    expect(quoteIdent('order')).toBe('"order"');
    expect(quoteIdent('select')).toBe('"select"');
    expect(quoteIdent('Mixed')).toBe('"Mixed"');
    expect(quoteIdent('with space')).toBe('"with space"');
    expect(quoteIdent('a"b')).toBe('"a""b"');
    expect(quoteIdent('a.b')).toBe('"a.b"');
    expect(quoteIdent('ÜniCödé')).toBe('"ÜniCödé"');
    expect(quoteIdent('1abc')).toBe('"1abc"');
    expect(() => quoteIdent('')).toThrow();
    expect(() => quoteIdent('a\u0000b')).toThrow();
    expect(qualified({ schema: 'Weird "S"', name: 'user' })).toBe('"Weird ""S"""."user"');
    expect(quoteLiteral("O'Brien \\n")).toBe("'O''Brien \\n'");
  });
});

describe('DDL generation', () => {
  it('creates tables with identity, generated columns, defaults and comments, all quoted', () => {
    const ddl = createTableDdl(
      table({
        columns: [
          column('id', { type: 'bigint', notNull: true, identity: 'a', identitySequence: { name: { schema: 's', name: 'order_id_seq' }, dataType: 'bigint', start: '1', increment: '1', min: '1', max: '9223372036854775807', cache: '1', cycle: false } }),
          column('total', { type: 'numeric(10,2)', default: '0' }),
          column('label', { generated: "(('#'::text || id))" }),
          column('Note "x"', { comment: "it's" }),
        ],
      }),
    );
    expect(ddl[0]!.sql).toBe(
      'CREATE TABLE "Sales Dept"."order" (\n' +
        '  id bigint GENERATED ALWAYS AS IDENTITY (SEQUENCE NAME s.order_id_seq INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1 NO CYCLE) NOT NULL,\n' +
        '  total numeric(10,2) DEFAULT 0,\n' +
        "  label text GENERATED ALWAYS AS ((('#'::text || id))) STORED,\n" +
        '  "Note ""x""" text\n)',
    );
    expect(ddl[1]!.sql).toBe(`COMMENT ON COLUMN "Sales Dept"."order"."Note ""x""" IS 'it''s'`);
  });

  it('creates partitions with PARTITION OF and partitioned tables with their key', () => {
    const parent = createTableDdl(table({ kind: 'partitioned', partitionKey: 'RANGE (id)' }));
    expect(parent[0]!.sql).toMatch(/\) PARTITION BY RANGE \(id\)$/);
    const leaf = createTableDdl(table({ name: { schema: 's', name: 'p1' }, partitionOf: { parent: { schema: 'Sales Dept', name: 'order' }, bound: "FOR VALUES FROM ('1') TO ('10')" } }));
    expect(leaf[0]!.sql).toBe(`CREATE TABLE s.p1 PARTITION OF "Sales Dept"."order" FOR VALUES FROM ('1') TO ('10')`);
  });

  it('orders post-data: keys, unique, checks, indexes, triggers with state; foreign keys apart', () => {
    const t = table({
      constraints: [
        { name: 'c1', type: 'c', definition: 'CHECK ((id > 0)) NOT VALID', references: null, comment: null },
        { name: 'fk', type: 'f', definition: 'FOREIGN KEY (id) REFERENCES s.x(id)', references: { schema: 's', name: 'x' }, comment: null },
        { name: 'pk', type: 'p', definition: 'PRIMARY KEY (id)', references: null, comment: null },
      ],
      indexes: [{ name: 'ix', definition: 'CREATE INDEX ix ON "Sales Dept"."order" USING btree (id)', comment: null }],
      triggers: [{ name: 'Touch', definition: 'CREATE TRIGGER "Touch" BEFORE UPDATE ON …', enabled: 'D' }],
    });
    expect(tablePostDataDdl(t).map((s) => s.sql)).toEqual([
      'ALTER TABLE "Sales Dept"."order" ADD CONSTRAINT pk PRIMARY KEY (id)',
      'ALTER TABLE "Sales Dept"."order" ADD CONSTRAINT c1 CHECK ((id > 0)) NOT VALID',
      'CREATE INDEX ix ON "Sales Dept"."order" USING btree (id)',
      'CREATE TRIGGER "Touch" BEFORE UPDATE ON …',
      'ALTER TABLE "Sales Dept"."order" DISABLE TRIGGER "Touch"',
    ]);
    expect(foreignKeyDdl(t).map((s) => s.sql)).toEqual(['ALTER TABLE "Sales Dept"."order" ADD CONSTRAINT fk FOREIGN KEY (id) REFERENCES s.x(id)']);
  });

  it('creates enums with quoted labels and domains with their constraints', () => {
    expect(createTypeDdl({ kind: 'enum', name: { schema: 'cs', name: 'Prio' }, labels: ['low', "it's"], comment: null })[0]!.sql).toBe(`CREATE TYPE cs."Prio" AS ENUM ('low', 'it''s')`);
    const domain = createTypeDdl({ kind: 'domain', name: { schema: 'cs', name: 'pos' }, baseType: 'integer', notNull: true, default: '1', collation: null, constraints: [{ name: 'pos_check', definition: 'CHECK ((VALUE > 0))' }], comment: null });
    expect(domain.map((s) => s.sql)).toEqual(['CREATE DOMAIN cs.pos AS integer DEFAULT 1 NOT NULL', 'ALTER DOMAIN cs.pos ADD CONSTRAINT pos_check CHECK ((VALUE > 0))']);
  });

  it('reports drift column by column', () => {
    const source = table({ columns: [column('a'), column('b', { type: 'integer' }), column('c', { notNull: true })] });
    const destination = table({ columns: [column('a'), column('b'), column('c'), column('extra')] });
    expect(detectDrift(source, destination)).toEqual([
      { column: 'b', kind: 'type', source: 'integer', destination: 'text' },
      { column: 'c', kind: 'nullability', source: 'NOT NULL', destination: 'NULL' },
      { column: 'extra', kind: 'extra-on-destination', source: null, destination: 'text' },
    ]);
  });
});
