import type pg from 'pg';
import { describe, expect, it } from 'vitest';

import { openChecksumSession } from '../../../src/engine/checksum/checksum-session.js';
import { rangeChecksumSql } from '../../../src/engine/checksum/checksum-sql.js';
import type { ChecksumTable } from '../../../src/engine/checksum/checksum-types.js';
import { compareTables } from '../../../src/engine/diff/diff-tables.js';
import { describeSideTable, pairTables } from '../../../src/engine/diff/describe-compared-table.js';
import { trackResource } from '../../helpers/leak-check.js';
import { createDatabasePair, runSql } from '../diff/diff-test-databases.js';

// Values whose text form depends on session settings or that are easy to get wrong.
const setup = `
CREATE TYPE public.mood AS ENUM ('sad', 'ok', 'happy');
CREATE TABLE public.tricky (
  id int PRIMARY KEY,
  f8 float8, f4 real, num numeric, txt text, bin bytea, js json, jb jsonb,
  ts timestamptz, tsl timestamp, d date, iv interval, tt timetz, arr text[], m public.mood, cash money, u uuid, ip inet, ok boolean
);
INSERT INTO public.tricky VALUES
  (1, 'NaN', 'NaN', 'NaN', '', '\\x00ff00'::bytea, '{"a": 1,  "a": 2}', '{"b": [1, 2], "a": null}',
   '2024-02-29 23:59:59.123456+08', '2024-02-29 23:59:59.123456', '0044-03-15 BC', '1 year 2 mons -3 days 04:05:06.789', '12:00:00+05:30',
   ARRAY['a,b', NULL, 'q"uote', 'back\\slash'], 'happy', 12.34, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '10.1.2.3/8', true),
  (2, 'Infinity', '-Infinity', 'Infinity', E'tab\\there\\nnew line \\\\N and \\\\', '', '[]', '{}',
   'infinity', '-infinity', 'infinity', '-178000000 years', '00:00:00-12', '{}', 'sad', -0.01, NULL, '::1', false),
  (3, '-0', '-0', '1.10', '北京 🚀 Zürich ǅ', NULL, 'null', '"x"', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
  (4, 0.1, 1e-40, 0.000000000000000000001, NULL, '\\x', '  {"k":"v"}  ', '[1, "1", 1.0]',
   '1970-01-01 00:00:00+00', '2000-01-01', '2000-01-01', '0', '23:59:59.999999+14', ARRAY[''], 'ok', 0, NULL, NULL, NULL),
  (5, 2.2250738585072014e-308, 3.4028235e38, -123456789012345678901234567890.123456789, 'x', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
`;

/** Settings a destination server might have: every one changes some value's default text. */
const hostileDefaults = `
ALTER DATABASE :db SET TimeZone = 'Asia/Shanghai';
ALTER DATABASE :db SET DateStyle = 'SQL, DMY';
ALTER DATABASE :db SET IntervalStyle = 'sql_standard';
ALTER DATABASE :db SET extra_float_digits = 0;
ALTER DATABASE :db SET bytea_output = 'escape';
`;

async function checksumOf(config: pg.ClientConfig, table: ChecksumTable) {
  const session = await openChecksumSession(config, { side: 'source' });
  const release = trackResource('checksum session', () => session.close());
  try {
    return (await session.query<{ rows: string; sum1: string; sum2: string }>(rangeChecksumSql(table, { kind: 'key', lower: null, upper: null })))[0];
  } finally {
    release();
    await session.close();
  }
}

async function planFor(source: pg.ClientConfig, destination: pg.ClientConfig) {
  const describe = async (config: pg.ClientConfig) => {
    const session = await openChecksumSession(config, { side: 'destination' });
    try {
      return await describeSideTable(session.queryable, { schema: 'public', name: 'tricky' });
    } finally {
      await session.close();
    }
  };
  const plan = pairTables((await describe(source))!, (await describe(destination))!);
  if (!plan.comparable) throw new Error(plan.reason);
  return plan;
}

describe('checksums of tricky values', () => {
  it('are identical on two databases whatever their default settings', async () => {
    const pair = await createDatabasePair(setup);
    const database = pair.destination.database as string;
    await runSql(pair.destinationUrl, hostileDefaults.replaceAll(':db', `"${database}"`));
    // The text a default session sees really differs…
    const shown = await runSql(pair.destinationUrl, 'SELECT ts::text, f8::text, iv::text FROM public.tricky WHERE id = 1');
    expect(shown.rows[0]).not.toEqual({ ts: '2024-02-29 15:59:59.123456+00', f8: 'NaN', iv: '1 year 2 mons -3 days +04:05:06.789' });

    // …but the checksum sessions pin their own settings.
    const plan = await planFor(pair.source, pair.destination);
    const [a, b] = [await checksumOf(pair.source, plan.source), await checksumOf(pair.destination, plan.destination)];
    expect(a?.rows).toBe('5');
    expect(b).toEqual(a);
    const summary = await compareTables(pair.source, pair.destination, { tables: ['tricky'] });
    expect(summary.tables[0]?.status).toBe('equal');
  });

  it('see json text differences and ignore jsonb formatting, like COPY does', async () => {
    const pair = await createDatabasePair(setup);
    await runSql(
      pair.destinationUrl,
      `UPDATE public.tricky SET jb = '{"a":null,   "b":[1,2]}' WHERE id = 1;   -- same jsonb value
       UPDATE public.tricky SET js = '{"a": 1, "a": 2}' WHERE id = 1;          -- json keeps whitespace: a change`,
    );
    const summary = await compareTables(pair.source, pair.destination, { tables: ['tricky'] });
    expect(summary.tables[0]?.rows).toEqual([{ kind: 'changed', key: ['1'] }]);
  });

  it('tell -0 from 0, NaN from NULL and an empty bytea from NULL', async () => {
    const pair = await createDatabasePair(setup);
    await runSql(
      pair.destinationUrl,
      `UPDATE public.tricky SET f8 = 0 WHERE id = 3;
       UPDATE public.tricky SET num = NULL WHERE id = 1;
       UPDATE public.tricky SET bin = NULL WHERE id = 4;`,
    );
    const summary = await compareTables(pair.source, pair.destination, { tables: ['tricky'] });
    const keys = summary.tables[0]?.rows.map((row) => ('key' in row ? row.key[0] : '')).sort();
    expect(keys).toEqual(['1', '3', '4']);
  });

  it('orders text keys byte-wise, so different collations on the two sides still line up', async () => {
    const pair = await createDatabasePair('');
    const table = (collation: string) => `
      CREATE TABLE public.places (name text COLLATE "${collation}" PRIMARY KEY, n int);
      INSERT INTO public.places SELECT (ARRAY['ä', 'z', 'a', 'Å', 'o', 'ö', 'Z', 'é', 'e'])[1 + g % 9] || g, g FROM generate_series(1, 3000) AS g;`;
    await runSql(pair.sourceUrl, table('sv-x-icu'));
    await runSql(pair.destinationUrl, `${table('de-x-icu')} UPDATE public.places SET n = -1 WHERE name = 'ö1004';`);
    const summary = await compareTables(pair.source, pair.destination, { tables: ['places'] }, { leafRows: 16, fanout: 4 });
    expect(summary.tables[0]?.rows).toEqual([{ kind: 'changed', key: ['ö1004'] }]);
  });
});
