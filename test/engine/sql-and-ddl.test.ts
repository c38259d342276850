import { describe, expect, it } from 'vitest';

import { addColumnDdl } from '../../src/engine/schema/generate-ddl.js';
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
  uniqueKeys: [['id']],
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
  it('adds columns with identity, generated expressions, defaults and collation, all quoted', () => {
    const t = table();
    const identity = column('id', { type: 'bigint', notNull: true, identity: 'a', identitySequence: { name: { schema: 's', name: 'order_id_seq' }, dataType: 'bigint', start: '1', increment: '1', min: '1', max: '9223372036854775807', cache: '1', cycle: false } });
    expect(addColumnDdl(t, identity).sql).toBe(
      'ALTER TABLE "Sales Dept"."order" ADD COLUMN id bigint GENERATED ALWAYS AS IDENTITY (SEQUENCE NAME s.order_id_seq INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1 NO CYCLE) NOT NULL',
    );
    expect(addColumnDdl(t, column('total', { type: 'numeric(10,2)', default: '0' })).sql).toBe('ALTER TABLE "Sales Dept"."order" ADD COLUMN total numeric(10,2) DEFAULT 0');
    expect(addColumnDdl(t, column('label', { generated: "(('#'::text || id))" })).sql).toBe(`ALTER TABLE "Sales Dept"."order" ADD COLUMN label text GENERATED ALWAYS AS ((('#'::text || id))) STORED`);
    expect(addColumnDdl(t, column('Note "x"', { collation: 'pg_catalog."C"' })).sql).toBe('ALTER TABLE "Sales Dept"."order" ADD COLUMN "Note ""x""" text COLLATE pg_catalog."C"');
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
