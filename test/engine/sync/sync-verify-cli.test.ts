import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { verifyAfterSync } from '../../../src/engine/verify/verify-after-sync.js';
import type { SyncOptions, SyncResult } from '../../../src/engine/types.js';
import { runCli } from '../../helpers/run-cli.js';
import { type DatabasePair, createDatabasePair, sql } from './sync-test-helpers.js';

interface Verification {
  verified: boolean;
  tables: { schema: string; name: string; status: string }[];
  notVerified: { schema: string; name: string; reason: string }[];
}

/** `--verify` after a sync: names holding dots, filters with placeholders, cancellation. */
describe('pgferry sync --verify', () => {
  let pair: DatabasePair;
  let home: string;

  beforeAll(async () => {
    pair = await createDatabasePair();
    home = await mkdtemp(path.join(os.tmpdir(), 'pgferry-sync-verify-'));
    await sql(
      pair.source.url,
      `CREATE SCHEMA "crm.eu";
       CREATE TABLE "crm.eu"."people.v2" (id int PRIMARY KEY, email text, updated_at timestamptz NOT NULL);
       INSERT INTO "crm.eu"."people.v2" SELECT i, 'p' || i || '@corp.test', timestamptz '2024-01-01' + i * interval '1 hour' FROM generate_series(1, 50) i;
       ANALYZE;`,
    );
  });
  afterAll(async () => {
    await rm(home, { recursive: true, force: true });
  });

  const env = () => ({ PGFERRY_HOME: home });
  const sync = async (extra: string[], runEnv = env()) => {
    const result = await runCli(['sync', '--from', pair.source.url, '--to', pair.destination.url, '--json', '--verify', ...extra], runEnv);
    const last = JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '{}') as { type?: string; verification?: Verification };
    return { ...result, verification: last.verification };
  };

  it('verifies a table whose schema and name contain dots', async () => {
    const result = await sync([]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.verification).toMatchObject({ verified: true, notVerified: [] });
    expect(result.verification?.tables).toEqual([expect.objectContaining({ schema: 'crm.eu', name: 'people.v2', status: 'verified' })]);
  });

  it('still applies a plain --where filter to the source when verifying', async () => {
    const result = await sync(['--where', 'id > 10']);
    expect(result.code, result.stderr).toBe(0);
    expect(await sql(pair.destination.url, `SELECT count(*)::int AS n FROM "crm.eu"."people.v2"`)).toEqual([{ n: 40 }]);
    expect(result.verification).toMatchObject({ verified: true, notVerified: [] });
    expect(result.verification?.tables).toEqual([expect.objectContaining({ schema: 'crm.eu', name: 'people.v2', status: 'verified' })]);
  });

  it('reports a table filtered with {{placeholders}} as not verified instead of a false mismatch', async () => {
    // A fresh state directory: no successful run is known, so {{last_success_at}} is -infinity.
    const result = await sync(['--where', 'id > 20 AND updated_at >= {{last_success_at}}'], { PGFERRY_HOME: path.join(home, 'fresh') });
    // The sync wrote 30 of the 50 rows: comparing whole tables would have failed the command.
    expect(await sql(pair.destination.url, `SELECT count(*)::int AS n FROM "crm.eu"."people.v2"`)).toEqual([{ n: 30 }]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain('verify crm.eu.people.v2: not verified: filtered');
    expect(result.verification).toMatchObject({ tables: [], notVerified: [{ schema: 'crm.eu', name: 'people.v2', reason: 'filtered' }] });

    const plain = await runCli(['sync', '--from', pair.source.url, '--to', pair.destination.url, '--verify', '--where', 'id > 20 AND updated_at >= {{last_success_at}}'], env());
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stdout).toMatch(/verify: .*1 not verified: filtered/);
  });

  it('cancels verification through the AbortSignal', async () => {
    const options: SyncOptions = { source: pair.source.config, destination: pair.destination.config, mode: 'full' } as SyncOptions;
    const result = {
      tables: [{ table: 'crm.eu.people.v2', schema: 'crm.eu', name: 'people.v2', mode: 'full', status: 'succeeded' }],
    } as unknown as SyncResult;
    const controller = new AbortController();
    controller.abort();
    await expect(verifyAfterSync(options, result, () => undefined, controller.signal)).rejects.toMatchObject({ code: 'PGF_RUN_CANCELLED' });
    // Without a signal the same call runs and compares.
    const verification = await verifyAfterSync(options, result, () => undefined);
    expect(verification.tables).toEqual([expect.objectContaining({ schema: 'crm.eu', name: 'people.v2' })]);
  });
});
