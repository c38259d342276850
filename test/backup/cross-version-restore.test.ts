import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { runBackup } from '../../src/engine/backup/run-backup.js';
import { compareTables } from '../../src/engine/diff/diff-tables.js';
import { diffSchemas } from '../../src/engine/diff/schema-diff.js';
import { runSync } from '../../src/engine/sync/run-sync.js';
import { runRestore } from '../../src/engine/restore/run-restore.js';
import { LocalStorage } from '../../src/engine/storage/local-storage.js';
import { EmbeddedPostgres } from '../../src/store/embedded-postgres.js';
import { trackResource } from '../helpers/leak-check.js';
import { createTestDatabase } from '../helpers/test-database.js';
import { corpusCases } from '../engine/schema/corpus-cases.js';
import { expectSameRows } from '../engine/schema/fidelity-harness.js';
import { configOf, fixturesDir, loadSql } from './backup-fixtures.js';
import { testSigningKey, testTrust } from '../helpers/archive-trust.js';

// Native archives store tables of built-in types as binary COPY. This restores one written
// from the test server into the embedded server, another major version when they differ
// (15 → 17 on CI), and compares every row with the diff engine.
let dir: string;
let newer: EmbeddedPostgres;
let releaseNewer: () => void;
let source: { name: string; url: string };
// A real sample database with functions, views, types, triggers and rules (pagila).
let sample: { name: string; url: string };

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'pgferry-xversion-'));
  newer = new EmbeddedPostgres({ dataDir: path.join(dir, 'pg'), port: 0 });
  await newer.start();
  releaseNewer = trackResource('embedded server for cross-version restore', () => newer.stop());
  source = await createTestDatabase({ migrated: false, prefix: 'pgferry_xv' });
  await loadSql(source.url, path.join(fixturesDir, 'manufacturing.sql'));
  const client = new pg.Client({ connectionString: source.url });
  await client.connect();
  await client.query(`CREATE TABLE public.all_types (
      id bigint PRIMARY KEY, b boolean, i2 smallint, i4 int, f4 real, f8 double precision,
      n numeric, n2 numeric(12,2), t text, vc varchar(20), c char(3), by bytea, u uuid, d date, tm time,
      ts timestamp, tz timestamptz, iv interval, j json, jb jsonb, ip inet, net cidr, mac macaddr,
      ta text[], ia int[], ja jsonb[])`);
  await client.query(`INSERT INTO public.all_types SELECT g, g % 2 = 0, g, g * 1000, g / 3.0, g / 7.0,
      CASE WHEN g = 1 THEN 'NaN'::numeric ELSE g * 1.000001 END, g / 3.0, '行 ' || g || E' \\t tab', 'v' || g, 'c' || (g % 10),
      decode(md5(g::text), 'hex'), md5(g::text)::uuid,
      CASE WHEN g = 2 THEN 'infinity'::date ELSE date '2000-01-01' + g END, time '00:00' + g * interval '1 minute',
      CASE WHEN g = 3 THEN '-infinity'::timestamp ELSE timestamp '2020-01-01' + g * interval '1 hour' END,
      timestamptz '2020-01-01 00:00+08' + g * interval '1 second', g * interval '1 day 1 second',
      json_build_object('g', g, 's', ' spaced '), jsonb_build_object('g', g, 'n', g / 3.0, 'a', jsonb_build_array(1, 'x', null)),
      ('10.0.' || (g % 255) || '.1')::inet, '10.1.0.0/16', '08:00:2b:01:02:03', ARRAY['a', NULL, 'c' || g], ARRAY[g, NULL],
      ARRAY[jsonb_build_object('k', g)]
    FROM generate_series(1, 2000) g`);
  await client.query(`INSERT INTO public.all_types (id) VALUES (0)`); // every other column NULL
  await client.end();
  sample = await createTestDatabase({ migrated: false, prefix: 'pgferry_xv_pagila' });
  const sampleClient = new pg.Client({ connectionString: sample.url });
  await sampleClient.connect();
  await sampleClient.query('SET search_path = public');
  await sampleClient.query(corpusCases.find((c) => c.name.startsWith('corpus: pagila'))!.sql);
  await sampleClient.end();
}, 120_000);

afterAll(async () => {
  await newer?.stop();
  releaseNewer?.();
  await rm(dir, { recursive: true, force: true });
});

describe('native archive restored into another PostgreSQL', () => {
  it('restores binary COPY files into the embedded server with every row equal', async () => {
    const storage = new LocalStorage(path.join(dir, 'archives'));
    const result = await runBackup({ signingKey: testSigningKey, source: configOf(source.url), storage, jobs: 2, compression: 'gzip' }, {});
    const archive = result.archives[0]!;
    expect(archive.manifest.tables.find((t) => t.name === 'all_types')?.format).toBe('binary');

    const targetUrl = newer.connectionString('restored');
    const restored = await runRestore({ trust: testTrust, archive: { storage, path: archive.path }, target: configOf(targetUrl), create: true, jobs: 2 });
    expect(restored.rows).toBe(archive.manifest.tables.reduce((sum, t) => sum + t.rows, 0));

    const summary = await compareTables(
      configOf(source.url),
      configOf(targetUrl),
      archive.manifest.tables.map((table) => ({ schema: table.schema, name: table.name })),
    );
    expect(summary.tables.filter((table) => table.status !== 'equal')).toEqual([]);
    expect(summary.tables).toHaveLength(archive.manifest.tables.length);
    expect(summary.equal).toBe(true);
  });

  // pg_dump 15 cannot read a 17 server: pgferry's own diff --schema is the oracle here.
  const expectSameSchemaAcross = async (sourceUrl: string, targetUrl: string) => {
    const diff = await diffSchemas(configOf(sourceUrl), configOf(targetUrl), { ignoreOwners: true, ignorePrivileges: true });
    expect(diff.differences.map((d) => `${d.status} ${d.label}`)).toEqual([]);
    expect(diff.source.objects).toBeGreaterThan(100);
  };

  it('restores a native archive of a real sample database with every object and row equal', async () => {
    const storage = new LocalStorage(path.join(dir, 'archives'));
    const result = await runBackup({ signingKey: testSigningKey, source: configOf(sample.url), storage, jobs: 2, compression: 'gzip' }, {});
    const targetUrl = newer.connectionString('restored_pagila');
    await runRestore({ trust: testTrust, archive: { storage, path: result.archives[0]!.path }, target: configOf(targetUrl), create: true, jobs: 2 });
    await expectSameSchemaAcross(sample.url, targetUrl);
    await expectSameRows(sample.url, targetUrl);
  });

  it('syncs a real sample database into the other major with every object and row equal', async () => {
    const admin = new pg.Client({ connectionString: newer.connectionString() });
    await admin.connect();
    await admin.query('CREATE DATABASE synced_pagila');
    await admin.end();
    const targetUrl = newer.connectionString('synced_pagila');
    const result = await runSync({ source: configOf(sample.url), destination: configOf(targetUrl), jobs: 2 });
    expect({ status: result.status, missing: result.missingObjects }).toEqual({ status: 'succeeded', missing: [] });
    await expectSameSchemaAcross(sample.url, targetUrl);
    await expectSameRows(sample.url, targetUrl);
  });
});
