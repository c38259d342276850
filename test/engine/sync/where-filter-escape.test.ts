import { beforeAll, describe, expect, it } from 'vitest';

import { compareTables } from '../../../src/engine/diff/diff-tables.js';
import { runSync } from '../../../src/engine/sync/run-sync.js';
import type { SyncOptions } from '../../../src/engine/types.js';
import { type DatabasePair, createDatabasePair, memoryHighWater, sql, tableFingerprints } from './sync-test-helpers.js';

/**
 * A filter is wrapped in parentheses and joined with the incremental cursor condition and the
 * chunk ranges. `true) or (true` used to close the wrapper and OR the cursor condition away,
 * so every row was read again; it is refused before anything runs, while a filter whose
 * parentheses sit inside strings or quoted names still works with the cursor.
 */
describe('a WHERE filter cannot leave its parentheses', () => {
  let pair: DatabasePair;
  let options: SyncOptions;
  const highWater = memoryHighWater();

  beforeAll(async () => {
    pair = await createDatabasePair();
    await sql(
      pair.source.url,
      `CREATE SCHEMA shop;
       CREATE TABLE shop.items (id int PRIMARY KEY, "a)b" text NOT NULL, updated_at timestamptz NOT NULL);
       INSERT INTO shop.items SELECT i, CASE WHEN i % 10 = 0 THEN 'skip)' ELSE 'keep(' END, timestamptz '2024-01-01 00:00:00+00' + i * interval '1 minute'
         FROM generate_series(1, 200) i;`,
    );
    options = {
      source: pair.source.config,
      destination: pair.destination.config,
      tables: ['shop.items'],
      mode: 'incremental',
      cursor: 'updated_at',
      highWaterScope: 'filter-escape',
      // Parentheses inside a string, an escape string and a quoted name: one expression.
      where: `"a)b" <> 'skip)' AND "a)b" <> E'\\')' AND $$)$$ = ')'`,
    };
    const first = await runSync(options, { highWater });
    expect(first.tables[0]).toMatchObject({ status: 'succeeded', rows: 180 });
    expect(highWater.marks.get('filter-escape/shop.items')?.cursor).toBe('updated_at');
  });

  it('a filter with parentheses in strings and names still applies the cursor condition', async () => {
    await sql(pair.source.url, `UPDATE shop.items SET updated_at = updated_at + interval '1 day' WHERE id IN (1, 2, 3, 10)`);
    const second = await runSync(options, { highWater });
    // The mark is id 199's time (200 is filtered out): 199 again (>=), then 1, 2, 3; 10 is filtered.
    expect(second.tables[0]).toMatchObject({ status: 'succeeded', rows: 4 });
  });

  it.each(['true) or (true', 'true) OR (true --', "id > 0) OR (\"a)b\" = 'keep('", '1=1; DELETE FROM shop.items'])(
    'refuses %j before reading or writing anything',
    async (where) => {
      const before = await tableFingerprints(pair.destination.url, ['shop']);
      const mark = highWater.marks.get('filter-escape/shop.items');
      await expect(runSync({ ...options, where }, { highWater })).rejects.toMatchObject({
        code: 'PGF_FILTER_INVALID',
        message: expect.stringMatching(/^the WHERE filter ".*" (closes a parenthesis|holds a)/),
      });
      expect(await tableFingerprints(pair.destination.url, ['shop'])).toEqual(before);
      expect(highWater.marks.get('filter-escape/shop.items')).toEqual(mark);
    },
  );

  it('a comparison with an escaping filter fails that table and names the cause', async () => {
    const summary = await compareTables(pair.source.config, pair.destination.config, [{ schema: 'shop', name: 'items', sourceWhere: 'true) or (true' }]);
    expect(summary.tables[0]).toMatchObject({ status: 'failed', errorCode: 'PGF_FILTER_INVALID' });
    expect(summary.tables[0]?.reason).toMatch(/closes a parenthesis it did not open/);
  });
});
