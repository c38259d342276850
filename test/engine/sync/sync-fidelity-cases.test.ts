import { describe, expect, it } from 'vitest';

import { connectionConfigFromUrl } from '../../../src/engine/connection-config.js';
import { runSync } from '../../../src/engine/sync/run-sync.js';
import type { SyncResult } from '../../../src/engine/types.js';
import { createTestDatabase } from '../../helpers/test-database.js';
import { sourceForCase } from '../schema/fidelity-case-setup.js';
import { fidelityCases } from '../schema/fidelity-cases.js';
import { expectSameRows, expectSameSchema } from '../schema/fidelity-harness.js';

const outcome = (result: SyncResult) => ({
  status: result.status,
  missing: result.missingObjects,
  failed: result.tables.filter((t) => t.status === 'failed').map((t) => `${t.table}: ${t.error?.message ?? ''}`),
});

/**
 * Every fidelity case through a whole-database sync into an empty database: the run says
 * `succeeded` with nothing missing, and the copy equals the source by pg_dump, by
 * `diff --schema` and row by row (large objects and sequence positions included). A
 * second run over the copy changes nothing and succeeds too.
 */
describe('sync reproduces every fidelity case', () => {
  for (const fidelityCase of fidelityCases) {
    it(fidelityCase.name, async (context) => {
      const source = await sourceForCase(fidelityCase);
      if ('skip' in source) return context.skip(source.skip);
      const destination = await createTestDatabase({ migrated: false, prefix: 'pgf_fid_dst' });
      const options = { source: connectionConfigFromUrl(source.url), destination: connectionConfigFromUrl(destination.url), jobs: 2 };
      const first = await runSync(options);
      expect(outcome(first)).toEqual({ status: 'succeeded', missing: [], failed: [] });
      await expectSameSchema(source.url, destination.url);
      await expectSameRows(source.url, destination.url);
      const second = await runSync(options);
      expect(outcome(second)).toEqual({ status: 'succeeded', missing: [], failed: [] });
      await expectSameSchema(source.url, destination.url);
    });
  }
});
