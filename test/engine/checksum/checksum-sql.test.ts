import { describe, expect, it } from 'vitest';

import { bucketChecksumSql, keyedRowHashesSql, rangeChecksumSql, rowTextSql } from '../../../src/engine/checksum/checksum-sql.js';
import type { ChecksumTable } from '../../../src/engine/checksum/checksum-types.js';
import { checksumsEqual, wholeTableRange } from '../../../src/engine/checksum/checksum-types.js';

const table: ChecksumTable = {
  schema: 'My "Schema"',
  name: 'order',
  partitioned: false,
  columns: [
    { name: 'Region', type: 'text', collatable: true },
    { name: 'id', type: 'bigint', collatable: false },
    { name: 'payload', type: 'jsonb', collatable: false },
  ],
  key: [
    { name: 'Region', type: 'text', collatable: true },
    { name: 'id', type: 'bigint', collatable: false },
  ],
};

describe('checksum SQL', () => {
  it('hashes the canonical row text of the compared columns, every name quoted', () => {
    expect(rowTextSql(table.columns, 't')).toBe('ROW(t."Region", t.id, t.payload)::text');
    const statement = rangeChecksumSql(table, wholeTableRange(table));
    expect(statement.text).toContain('FROM ONLY "My ""Schema"""."order" AS t');
    expect(statement.text).toContain('hashtextextended(x.r, 1886545778)');
    expect(statement.text).toContain('hashtextextended(x.r, 2654435761)');
    expect(statement.text).toMatch(/coalesce\(sum\(y\.h1\), 0\)::text AS sum1/);
    expect(statement.values).toEqual([]);
  });

  it('binds key bounds as parameters and compares text keys byte-wise', () => {
    const hostile = "x'); DROP TABLE t; --";
    const statement = keyedRowHashesSql(table, { kind: 'key', lower: [hostile, '5'], upper: ['zz', '1'] }, 100);
    expect(statement.text).not.toContain('DROP TABLE');
    expect(statement.values).toEqual([hostile, '5', 'zz', '1', 100]);
    expect(statement.text).toContain('ROW(t."Region" COLLATE "C", t.id) >= ROW($1::text, $2::bigint)');
    expect(statement.text).toContain('ROW(t."Region" COLLATE "C", t.id) < ROW($3::text, $4::bigint)');
    expect(statement.text).toContain('ORDER BY y.k1 COLLATE "C", y.k2');
  });

  it('assigns buckets by a binary search over the cut points', () => {
    const keyless: ChecksumTable = { ...table, key: null, partitioned: true };
    const statement = bucketChecksumSql(keyless, { kind: 'hash', lower: '-100', upper: '100' }, ['-50', '0', '50']);
    expect(statement.text).toContain('FROM "My ""Schema"""."order" AS t'); // partitioned: no ONLY
    expect(statement.text).toContain(
      'CASE WHEN y.h1 < $4::bigint THEN CASE WHEN y.h1 < $3::bigint THEN 0 ELSE 1 END ELSE CASE WHEN y.h1 < $5::bigint THEN 2 ELSE 3 END END',
    );
    expect(statement.values).toEqual(['-100', '100', '-50', '0', '50']);
  });

  it('compares checksums exactly', () => {
    expect(checksumsEqual({ rows: '2', sum1: '1', sum2: '2' }, { rows: '2', sum1: '1', sum2: '2' })).toBe(true);
    expect(checksumsEqual({ rows: '2', sum1: '1', sum2: '2' }, { rows: '2', sum1: '1', sum2: '3' })).toBe(false);
  });
});
