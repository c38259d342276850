import { describe, expect, it } from 'vitest';

import { type VerifyEvent, verifyTables } from '../../../src/engine/verify/verify-tables.js';
import { createDatabasePair, runSql } from './diff-test-databases.js';

const setup = `
CREATE TABLE public.customers (id int PRIMARY KEY, email text NOT NULL, region text NOT NULL);
INSERT INTO public.customers SELECT g, 'user' || g || '@example.com', (ARRAY['cn', 'us', 'de'])[1 + g % 3] FROM generate_series(1, 3000) AS g;
CREATE TABLE public.notes (body text);
INSERT INTO public.notes SELECT 'note ' || (g % 50) FROM generate_series(1, 500) AS g;
`;

describe('verifyTables', () => {
  it('verifies equal tables with counts and emits one event per table', async () => {
    const pair = await createDatabasePair(setup);
    const events: VerifyEvent[] = [];
    const result = await verifyTables(
      pair.source,
      pair.destination,
      [
        { schema: 'public', name: 'customers' },
        { schema: 'public', name: 'notes' },
      ],
      { onEvent: (event) => events.push(event) },
    );
    expect(result.verified).toBe(true);
    expect(result.tables.map((table) => [table.name, table.status, table.sourceRows, table.destinationRows])).toEqual([
      ['customers', 'verified', 3000, 3000],
      ['notes', 'verified', 500, 500],
    ]);
    expect(events.map((event) => event.type)).toEqual(['verify:start', 'verify:table', 'verify:table', 'verify:done']);
    expect(result.bytesTransferred).toBeGreaterThan(0);
  });

  it('reports a mismatch with the key ranges and sample keys', async () => {
    const pair = await createDatabasePair(setup);
    await runSql(pair.destinationUrl, 'DELETE FROM public.customers WHERE id BETWEEN 2000 AND 2004');
    const result = await verifyTables(pair.source, pair.destination, [{ schema: 'public', name: 'customers' }]);
    expect(result.verified).toBe(false);
    const [customers] = result.tables;
    expect(customers).toMatchObject({ status: 'mismatch', sourceRows: 3000, destinationRows: 2995 });
    expect(customers?.sampleRows).toEqual(['2000', '2001', '2002', '2003', '2004'].map((id) => ({ kind: 'missing', key: [id] })));
    expect(customers?.mismatchedRanges.length).toBeGreaterThan(0);
    for (const range of customers?.mismatchedRanges ?? []) expect(range.description).toMatch(/^key (from|before) id="\d+"/);
  });

  it("applies the sync's source filter and leaves anonymised columns out", async () => {
    const pair = await createDatabasePair(setup);
    await runSql(pair.destinationUrl, `DELETE FROM public.customers WHERE region <> 'cn'; UPDATE public.customers SET email = md5(email) || '@example.invalid'`);
    const plain = await verifyTables(pair.source, pair.destination, [{ schema: 'public', name: 'customers' }]);
    expect(plain.verified).toBe(false);
    const filtered = await verifyTables(pair.source, pair.destination, [
      { schema: 'public', name: 'customers', sourceWhere: "region = 'cn'", excludeColumns: ['email'] },
    ]);
    expect(filtered.tables[0]).toMatchObject({ status: 'verified', sourceRows: 1000, destinationRows: 1000 });
  });

  it('reports a filter that fails as a failed table and still verifies the others', async () => {
    const pair = await createDatabasePair(setup);
    const result = await verifyTables(pair.source, pair.destination, [
      { schema: 'public', name: 'customers', sourceWhere: 'no_such_column = 1' },
      { schema: 'public', name: 'notes' },
    ]);
    expect(result.verified).toBe(false);
    expect(result.tables[0]).toMatchObject({ status: 'failed', reason: expect.stringMatching(/customers.*no_such_column/s) });
    expect(result.tables[1]).toMatchObject({ status: 'verified' });
  });

  it('cannot write through a filter: the checksum transaction is read-only', async () => {
    const pair = await createDatabasePair(`${setup}
      CREATE FUNCTION public.wipe() RETURNS boolean LANGUAGE sql AS 'DELETE FROM public.notes RETURNING true';`);
    const result = await verifyTables(pair.source, pair.destination, [{ schema: 'public', name: 'customers', sourceWhere: 'public.wipe()' }]);
    expect(result.tables[0]).toMatchObject({ status: 'failed', reason: expect.stringMatching(/read-only transaction/) });
    expect((await runSql(pair.sourceUrl, 'SELECT count(*)::int AS n FROM public.notes')).rows[0]).toEqual({ n: 500 });
  });
});
