import { spawnSync } from 'node:child_process';
import path from 'node:path';

import { beforeAll, describe, expect, it } from 'vitest';

import { runSync } from '../../../src/engine/sync/run-sync.js';
import { type DatabasePair, catalogSnapshot, createDatabasePair, loadSqlFile, sql, tableFingerprints } from './sync-test-helpers.js';

const fixtures = path.resolve(import.meta.dirname, '../../../fixtures');
const schemas = ['hadoop_fault', 'manufacturing', 'customer_service', 'plm', 'public'];
const hasPsql = spawnSync('psql', ['--version']).status === 0;

describe('round trip of the four fixtures and northwind into an empty database', () => {
  let pair: DatabasePair;

  beforeAll(async () => {
    pair = await createDatabasePair();
    for (const name of ['hadoop_fault', 'manufacturing', 'customer_service', 'plm']) {
      await loadSqlFile(pair.source.url, path.join(fixtures, `${name}.sql`));
    }
    // northwind is a pg_dump with DROP lines that fail on an empty database: psql keeps going.
    if (hasPsql) {
      const result = spawnSync('psql', [pair.source.url, '-q', '-v', 'ON_ERROR_STOP=0', '-f', path.join(fixtures, 'northwind.sql')], { encoding: 'utf8' });
      if (result.status !== 0) throw new Error(`loading northwind failed: ${result.stderr}`);
    }
    await sql(pair.source.url, 'ANALYZE');
  }, 300_000);

  it('copies schema and data so that catalogs and per-table checksums are equal', async () => {
    const result = await runSync({ source: pair.source.config, destination: pair.destination.config, jobs: 2 });
    expect(result.tables.filter((t) => t.status !== 'succeeded')).toEqual([]);
    expect(result.status).toBe('succeeded');
    expect(result.totals.rows).toBeGreaterThan(460_000);

    const [sourceData, destData] = await Promise.all([tableFingerprints(pair.source.url, schemas), tableFingerprints(pair.destination.url, schemas)]);
    expect(Object.keys(sourceData).length).toBeGreaterThanOrEqual(37 + (hasPsql ? 13 : 0));
    expect(destData).toEqual(sourceData);

    const [sourceCatalog, destCatalog] = await Promise.all([catalogSnapshot(pair.source.url, schemas), catalogSnapshot(pair.destination.url, schemas)]);
    const differing = Object.keys(sourceCatalog).filter((kind) => JSON.stringify(sourceCatalog[kind]) !== JSON.stringify(destCatalog[kind]));
    for (const kind of differing) {
      const extra = destCatalog[kind]!.filter((row) => !sourceCatalog[kind]!.includes(row));
      const missing = sourceCatalog[kind]!.filter((row) => !destCatalog[kind]!.includes(row));
      expect({ kind, missing, extra }).toEqual({ kind, missing: [], extra: [] });
    }
    expect(differing).toEqual([]);
  }, 300_000);

  it('a second full sync into the now populated destination replaces every table and stays equal', async () => {
    await sql(pair.destination.url, `UPDATE plm.ecos SET title = 'changed on destination' WHERE id IN (SELECT id FROM plm.ecos LIMIT 5)`);
    const result = await runSync({ source: pair.source.config, destination: pair.destination.config, jobs: 2, schemas: ['plm', 'manufacturing'] });
    expect(result.tables.filter((t) => t.status !== 'succeeded')).toEqual([]);
    const [sourceData, destData] = await Promise.all([
      tableFingerprints(pair.source.url, ['plm', 'manufacturing']),
      tableFingerprints(pair.destination.url, ['plm', 'manufacturing']),
    ]);
    expect(destData).toEqual(sourceData);
    // Foreign keys that were dropped for the replacement are back and validated.
    const invalid = await sql(pair.destination.url, `SELECT conname FROM pg_constraint WHERE contype = 'f' AND NOT convalidated AND connamespace::regnamespace::text IN ('plm', 'manufacturing')`);
    expect(invalid).toEqual([]);
  }, 300_000);
});
