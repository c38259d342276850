import { describe, expect, it } from 'vitest';

import { isPgferryError } from '../../src/errors/pgferry-error.js';
import { SqlParams, hashedRowsSql } from '../../src/engine/checksum/checksum-sql.js';
import { QueryParams } from '../../src/engine/sync/query-params.js';
import { bindFilter, checkFilter, wrapFilter } from '../../src/engine/sync/where-filter.js';

function refusal(filter: string): string {
  try {
    checkFilter(filter);
  } catch (error) {
    if (isPgferryError(error) && error.code === 'PGF_FILTER_INVALID') return error.message;
    throw error;
  }
  throw new Error(`accepted: ${filter}`);
}

describe('checkFilter', () => {
  it.each([
    'id > 100',
    "region = 'eu' AND id > 100",
    "note = 'a)b'",
    "note = 'it''s (open'",
    "note = ')' OR note = '('",
    '"a)b" = 1',
    '"we""ird(" > 0 AND "--not a comment" = 2',
    "body = $$ ) or (true -- $$",
    'body = $tag$ ) $$ ; /* $tag$',
    'body = $ü$ ( $ü$',
    // An escape string: \' is a quote inside it, so the parenthesis is text.
    "note = E'it\\'s )'",
    "note = e'\\\\' AND (id > 1)",
    "note = E'\\') or (true'",
    "name = U&'d\\0061t\\+000061 )'",
    "x = B'101' AND y = X'1F' AND z = N')'",
    '(a > 1) AND (b < 2 OR (c = 3))',
    "tags @> ARRAY['a(']",
    'updated_at >= {{last_success_at}} AND id > {{ floor }}',
    'a - -1 > 0 AND price * 2 / 3 > 1',
    'ünïcode_col = 1 AND a$b$c = 2',
    '1.5e3 < x AND .5 > y AND 1_000 < z AND 0x1F > w',
    'x = $1',
  ])('accepts %s', (filter) => {
    expect(() => checkFilter(filter)).not.toThrow();
  });

  it.each([
    ['true) or (true', /closes a parenthesis it did not open/],
    ['id > 0) OR (1 = 1', /closes a parenthesis/],
    ["a = 'x' ) or ( 'y' = 'y'", /closes a parenthesis/],
    ['((a)) )', /closes a parenthesis/],
    ['(true', /leaves 1 parenthesis open/],
    ['((true', /leaves 2 parentheses open/],
    ['id > 0 -- and the rest', /holds a comment \(--\)/],
    ['id > 0 /* c */', /holds a comment \(\/\*\)/],
    ['a +-- b', /holds a comment/],
    ['1=1; delete from t', /holds a ';'/],
    ["'unterminated", /string literal that is never closed/],
    ['"unterminated', /quoted identifier that is never closed/],
    ['$$ unterminated', /dollar-quoted string \(\$\$\) that is never closed/],
    ['$a$ ) $b$', /dollar-quoted string \(\$a\$\)/],
    // Standard strings: a backslash escapes nothing, so the quote ends the string.
    ["note = '\\') or (true --'", /closes a parenthesis/],
    // Read as PostgreSQL before 15 does: the number 1, then an escape string.
    ["1e'\\'' ) or (true --'", /closes a parenthesis/],
    ["E'never closed \\'", /string literal that is never closed/],
    ['x = 1\u0000) or (true', /NUL character/],
    ['', /is empty/],
    ['   \n ', /is empty/],
  ])('refuses %j', (filter, cause) => {
    const message = refusal(filter);
    expect(message).toMatch(cause);
    expect(message).toMatch(/^the WHERE filter "/);
    expect(message).toMatch(/write one boolean expression/);
  });

  it('names the position of the cause and shortens a long filter', () => {
    expect(refusal('true) or (true')).toContain('(at character 5)');
    const long = `${'a = 1 AND '.repeat(20)}b = 2)`;
    expect(refusal(long)).toMatch(/^the WHERE filter "a = 1 AND .{60,}…" closes/);
  });

  it('bindFilter checks the filter before and after binding; wrapFilter and the checksum SQL refuse an escape', () => {
    const params = new QueryParams('pgferry.t1_');
    expect(() => bindFilter('x > {{v}}) or (true', { v: { value: '1' } }, params)).toThrow(/closes a parenthesis/);
    // A placeholder value is bound, never spliced: even ") or (true" as a value is data.
    expect(bindFilter('x = {{v}}', { v: { value: ') or (true' } }, params)).toBe("x = (current_setting('pgferry.t1_1'))");
    expect(wrapFilter("note = 'a)b'")).toBe("(\nnote = 'a)b'\n)");
    expect(() => wrapFilter('true) or (true')).toThrow(/closes a parenthesis/);
    const id = { name: 'id', type: 'integer', collatable: false };
    const table = { schema: 's', name: 't', partitioned: false, columns: [id], key: [id], where: 'true) or (true' };
    const range = { kind: 'key', lower: ['1'], upper: ['9'] } as const;
    expect(() => hashedRowsSql(table as never, range as never, new SqlParams())).toThrow(/closes a parenthesis/);
    expect(hashedRowsSql({ ...table, where: "note = 'a)b'" } as never, range as never, new SqlParams())).toContain("WHERE (\nnote = 'a)b'\n) AND t.id >= $1::integer AND t.id < $2::integer");
  });
});
