import { beforeAll, describe, expect, it } from 'vitest';

import { runSync } from '../../../src/engine/sync/run-sync.js';
import { type DatabasePair, createDatabasePair, sql, tableFingerprints } from './sync-test-helpers.js';

// Issue 14, item 12: bookkeeping that fails after a range is committed (the checkpoint store)
// must not reject the run while other workers still copy; the rows are in, the run says so.
describe('sync with failing bookkeeping', () => {
  let pair: DatabasePair;
  beforeAll(async () => {
    pair = await createDatabasePair();
    await sql(
      pair.source.url,
      `CREATE TABLE big (id int PRIMARY KEY, v text); INSERT INTO big SELECT g, md5(g::text) FROM generate_series(1, 20000) g;
       CREATE TABLE other (id int PRIMARY KEY); INSERT INTO other SELECT generate_series(1, 100); ANALYZE;`,
    );
  });

  it('finishes every table and reports the unsaved checkpoints as warnings', async () => {
    const checkpoints = {
      markCommitted: async () => {
        throw new Error('checkpoint store unavailable');
      },
    };
    const result = await runSync(
      { source: pair.source.config, destination: pair.destination.config, jobs: 2, splitRows: 5000 },
      { checkpoints },
    );
    expect(result.tables.map((t) => `${t.table} ${t.status}`).sort()).toEqual(['public.big succeeded', 'public.other succeeded']);
    expect(result.warnings.some((w) => w.includes('checkpoint store unavailable'))).toBe(true);
    expect(await tableFingerprints(pair.destination.url, ['public'])).toEqual(await tableFingerprints(pair.source.url, ['public']));
  });
});
