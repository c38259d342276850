import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

import { afterAll, beforeAll, describe, it } from 'vitest';

import { verifyArchive } from '../../src/engine/archive/verify-archive.js';
import { runBackup } from '../../src/engine/backup/run-backup.js';
import { runRestore } from '../../src/engine/restore/run-restore.js';
import { LocalStorage } from '../../src/engine/storage/local-storage.js';
import { createTestDatabase } from '../helpers/test-database.js';
import { sourceForCase } from '../engine/schema/fidelity-case-setup.js';
import { fidelityCases } from '../engine/schema/fidelity-cases.js';
import { expectSameRows, expectSameSchema } from '../engine/schema/fidelity-harness.js';
import { configOf } from './backup-fixtures.js';
import { testSigningKey, testTrust } from '../helpers/archive-trust.js';

const run = promisify(execFile);
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'pgferry-fidelity-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/**
 * Every fidelity case through a native backup: the archive verifies, and both
 * `pgferry restore` and the archive's own `restore.sh` (psql alone) rebuild a database equal
 * to the source by pg_dump, by `diff --schema` and row by row.
 */
describe('native backup and restore reproduce every fidelity case', () => {
  for (const fidelityCase of fidelityCases) {
    it(fidelityCase.name, async (context) => {
      const source = await sourceForCase(fidelityCase);
      if ('skip' in source) return context.skip(source.skip);
      const storage = new LocalStorage(dir);
      const backup = await runBackup({ signingKey: testSigningKey, source: configOf(source.url), storage, jobs: 2, compression: 'gzip', checksums: true });
      const archive = backup.archives[0]!;
      await verifyArchive({ storage, path: archive.path }, { trust: testTrust });

      const restored = await createTestDatabase({ migrated: false, prefix: 'pgf_fid_rst' });
      await runRestore({ trust: testTrust, archive: { storage, path: archive.path }, target: configOf(restored.url), jobs: 2 });
      await expectSameSchema(source.url, restored.url);
      await expectSameRows(source.url, restored.url);

      const scripted = await createTestDatabase({ migrated: false, prefix: 'pgf_fid_sh' });
      await run('sh', [path.join(dir, archive.path, 'restore.sh'), scripted.url], { maxBuffer: 16 * 1024 * 1024 });
      await expectSameSchema(source.url, scripted.url);
      await expectSameRows(source.url, scripted.url);
    });
  }
});
