import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { runCli } from '../../helpers/run-cli.js';
import { createTestDatabase } from '../../helpers/test-database.js';
import { type DatabasePair, createDatabasePair, sql } from './sync-test-helpers.js';

describe('pgferry sync (CLI)', () => {
  let pair: DatabasePair;
  let home: string;

  beforeAll(async () => {
    pair = await createDatabasePair();
    home = await mkdtemp(path.join(os.tmpdir(), 'pgferry-sync-cli-'));
    await sql(
      pair.source.url,
      `CREATE SCHEMA crm;
       CREATE TABLE crm.people (id int PRIMARY KEY, email text, updated_at timestamptz NOT NULL);
       INSERT INTO crm.people SELECT i, 'p' || i || '@corp.test', timestamptz '2024-01-01' + i * interval '1 hour' FROM generate_series(1, 50) i;
       CREATE TABLE crm.notes (body text);
       INSERT INTO crm.notes VALUES ('a'), ('b');
       ANALYZE;`,
    );
  });
  afterAll(async () => {
    await rm(home, { recursive: true, force: true });
  });

  const env = () => ({ PGFERRY_HOME: home });

  it('--dry-run never prints a user mapping password, in text or JSON', async () => {
    const source = await createTestDatabase({ migrated: false, prefix: 'pgf_um_src' });
    const destination = await createTestDatabase({ migrated: false, prefix: 'pgf_um_dst' });
    await sql(
      source.url,
      `CREATE FOREIGN DATA WRAPPER fdw_um; CREATE SERVER far FOREIGN DATA WRAPPER fdw_um;
       CREATE USER MAPPING FOR CURRENT_USER SERVER far OPTIONS (user 'reader', password 'hunter2-secret');
       CREATE TABLE t (id int PRIMARY KEY);`,
    );
    for (const extra of [[], ['--json']]) {
      const result = await runCli(['sync', '--from', source.url, '--to', destination.url, '--dry-run', ...extra], env());
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('CREATE USER MAPPING FOR');
      expect(result.stdout).toContain("'***'");
      expect(result.stdout + result.stderr).not.toContain('hunter2-secret');
    }
  });

  it('--dry-run prints the plan and writes nothing', async () => {
    const result = await runCli(['sync', '--from', pair.source.url, '--to', pair.destination.url, '--dry-run'], env());
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('CREATE SCHEMA IF NOT EXISTS crm');
    expect(result.stdout).toMatch(/crm\.people\s+\[ready\] mode full, key id \(primary key\), ~50 rows/);
    expect(await sql(pair.destination.url, `SELECT count(*)::int AS n FROM pg_namespace WHERE nspname = 'crm'`)).toEqual([{ n: 0 }]);
  });

  it('syncs with --json events and --verify, then incremental with a state file and masked rules', async () => {
    const full = await runCli(['sync', '--from', pair.source.url, '--to', pair.destination.url, '--json', '--verify', '--cursor', 'updated_at'], env());
    expect(full.code, full.stderr).toBe(0);
    const lines = full.stdout.trim().split('\n').map((line) => JSON.parse(line) as { type: string; result?: { status: string }; verification?: { verified: boolean } });
    expect(lines.map((l) => l.type)).toEqual(expect.arrayContaining(['run:start', 'table:start', 'table:done', 'run:done', 'result']));
    const last = lines.at(-1)!;
    expect(last.result?.status).toBe('succeeded');
    expect(last.verification?.verified).toBe(true);
    expect(full.stdout).not.toContain('@127.0.0.1');

    await sql(pair.source.url, `UPDATE crm.people SET email = 'new' || id || '@corp.test', updated_at = '2030-01-01' WHERE id <= 4`);
    const rules = path.join(home, 'rules.yml');
    await writeFile(rules, 'rules:\n  email: unique_email\n');
    const incremental = await runCli(['sync', '--from', pair.source.url, '--to', pair.destination.url, '--tables', 'crm.people', '--mode', 'incremental', '--cursor', 'updated_at', '--rules', rules], env());
    expect(incremental.code, incremental.stderr).toBe(0);
    // Read: the 4 changed rows and the row holding the old mark; written: those 4 plus the
    // mark row, whose e-mail the first (unmasked) sync had copied and the rule now masks.
    expect(incremental.stdout).toMatch(/5 rows read, 5 written/);
    expect(await sql(pair.destination.url, `SELECT count(*)::int AS n FROM crm.people WHERE email LIKE 'new%'`)).toEqual([{ n: 0 }]);
    const state = JSON.parse(await readFile(path.join(home, 'sync-state.json'), 'utf8')) as { highWater: Record<string, Record<string, { value: string }>> };
    const marks = Object.values(state.highWater)[0]!;
    expect(marks['crm.people']?.value).toMatch(/^2030-01-01 00:00:00\+00/);
  });

  it('fails a keyless table in a keyed mode with the documented message and exit code', async () => {
    const result = await runCli(['sync', '--from', pair.source.url, '--to', pair.destination.url, '--tables', 'crm.notes', '--mode', 'upsert'], env());
    expect(result.code).toBe(14);
    expect(result.stderr).toContain('table crm.notes has no primary key or unique index; mode "upsert" needs one — add a key or use mode "full"');
    expect(result.stderr).toContain('[PGF_SYNC_TABLE_FAILED]');
  });

  it('rejects bad flags and an unknown resume run without touching anything', async () => {
    const mode = await runCli(['sync', '--from', pair.source.url, '--to', pair.destination.url, '--mode', 'merge'], env());
    expect(mode.code).toBe(2);
    expect(mode.stderr).toContain('--mode must be one of full, append, upsert, incremental, mirror');
    const unreachable = await runCli(['sync', '--from', 'postgres://someone:S3cretPassw0rd@127.0.0.1:1/nowhere', '--to', pair.destination.url], env());
    expect(unreachable.code).toBe(3);
    expect(unreachable.stderr).toContain('[PGF_CONNECTION_REFUSED]');
    expect(unreachable.stderr + unreachable.stdout).not.toContain('S3cretPassw0rd');
    const resume = await runCli(['sync', '--from', pair.source.url, '--to', pair.destination.url, '--resume', 'nope'], env());
    expect(resume.code).toBe(4);
    expect(resume.stderr).toContain('[PGF_SYNC_RUN_NOT_FOUND]');
  });

  it('resolves --from and --to as saved connection names', async () => {
    const store = await createTestDatabase();
    const storeEnv = { ...env(), DATABASE_URL: store.url, PGFERRY_ENCRYPTION_KEY: 'cd'.repeat(32) };
    expect((await runCli(['connections', 'add', 'crm-source', pair.source.url], storeEnv)).code).toBe(0);
    const named = await runCli(['sync', '--from', 'crm-source', '--to', pair.destination.url, '--tables', 'crm.people', '--mode', 'upsert'], storeEnv);
    expect(named.code, named.stderr).toBe(0);
    expect(named.stdout).toMatch(/^succeeded: 1 succeeded/m);
    const unknown = await runCli(['sync', '--from', 'no-such-connection', '--to', pair.destination.url], storeEnv);
    expect(unknown.code).toBe(4);
  });

  it('--resume skips the tables a failed run committed', async () => {
    const failed = await runCli(['sync', '--from', pair.source.url, '--to', pair.destination.url, '--schemas', 'crm', '--mode', 'upsert'], env());
    expect(failed.code).toBe(14);
    const runId = /--resume ([0-9a-f-]{36})/.exec(failed.stdout)?.[1];
    expect(runId).toBeDefined();
    const resumed = await runCli(['sync', '--from', pair.source.url, '--to', pair.destination.url, '--schemas', 'crm', '--mode', 'upsert', '--resume', runId!], env());
    expect(resumed.stderr).toMatch(new RegExp(`skipped\\s+crm\\.people: already committed by run ${runId}`));
    expect(resumed.stderr).toMatch(/failed\s+crm\.notes/);
  });

  it('binds {{last_success_at}} to the start of the last successful sync between the same databases', async () => {
    const args = ['sync', '--from', pair.source.url, '--to', pair.destination.url, '--tables', 'crm.people', '--mode', 'upsert', '--where', 'updated_at >= {{last_success_at}}'];
    // A fresh state directory: no successful run is known yet, so the first run reads every row.
    const fresh = { PGFERRY_HOME: path.join(home, 'fresh') };
    const first = await runCli(args, fresh);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/ 50 rows read/);
    await sql(pair.source.url, `UPDATE crm.people SET updated_at = now() + interval '1 hour' WHERE id IN (20, 21, 22)`);
    const n = (await sql<{ n: number }>(pair.source.url, `SELECT count(*)::int AS n FROM crm.people WHERE updated_at > now()`))[0]!.n;
    expect(n).toBeGreaterThanOrEqual(3);
    const second = await runCli(args, fresh);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toContain(` ${n} rows read`);
  });
});
