import { describe, expect, it } from 'vitest';

import { textArrayLiteral } from '../../src/engine/follow/apply-relation.js';
import type { TupleValue } from '../../src/engine/follow/pgoutput-decoder.js';
import { adminQuery } from '../helpers/test-database.js';

describe('textArrayLiteral', () => {
  it('reads back as the same text[] at the server, quotes, backslashes, NULL and unchanged included', async () => {
    const values = ['a', 'b"c', 'd\\e', '', 'NULL', ' sp ', '{x,y}', 'é日本', 'x\\"y', null, "it's", '\n\t', 'unchanged'];
    const tuples: TupleValue[][] = values.map((v) => [v === null ? { kind: 'null' } : v === 'unchanged' ? { kind: 'unchanged' } : { kind: 'text', value: v }]);
    const result = await adminQuery('SELECT $1::text[] AS a', [textArrayLiteral(tuples, 0)]);
    expect(result.rows[0].a).toEqual(values.map((v) => (v === 'unchanged' ? null : v)));
    expect((await adminQuery('SELECT $1::text[] AS a', [textArrayLiteral([], 0)])).rows[0].a).toEqual([]);
  });
});
