import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { cliJson, runCli } from '../helpers/run-cli.js';
import { createTestDatabase } from '../helpers/test-database.js';

describe('pgferry db', () => {
  it('upgrades, reports, downgrades and upgrades again', async () => {
    const database = await createTestDatabase({ migrated: false });
    const env = { DATABASE_URL: database.url };

    const empty = await runCli(['db', 'current'], env);
    expect(empty).toMatchObject({ code: 0 });
    expect(empty.stdout).toMatch(/\(no migrations applied\)/);
    expect(empty.stdout).toMatch(/pending: 0001_initial_domain/);

    const upgrade = await runCli(['db', 'upgrade'], env);
    expect(upgrade.code).toBe(0);
    expect(upgrade.stdout).toMatch(/applied 0001_initial_domain/);

    const again = await runCli(['db', 'upgrade'], env);
    expect(again.stdout).toMatch(/Already up to date/);

    const current = await runCli(['db', 'current', '--json'], env);
    const status = cliJson(current) as { current: string; pending: string[] };
    expect(status.pending).toEqual([]);

    const history = await runCli(['db', 'history'], env);
    expect(history.stdout).toMatch(/^\d{4}-\d{2}-\d{2}T.*0001_initial_domain$/m);

    const downgrade = await runCli(['db', 'downgrade', '--to', 'base'], env);
    expect(downgrade.code).toBe(0);
    expect(downgrade.stdout).toMatch(/reverted 0001_initial_domain/);
    expect((await runCli(['db', 'current'], env)).stdout).toMatch(/no migrations applied/);

    expect((await runCli(['db', 'upgrade'], env)).code).toBe(0);
    expect(cliJson(await runCli(['db', 'current', '--json'], env))).toMatchObject({ current: status.current });
  });

  it('names the known migrations when --to is wrong (exit 2)', async () => {
    const database = await createTestDatabase({ migrated: false });
    const result = await runCli(['db', 'upgrade', '--to', '0999_missing'], { DATABASE_URL: database.url });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/migration "0999_missing" does not exist; known migrations: 0001_initial_domain/);
    expect(result.stderr).toMatch(/PGF_MIGRATION_NOT_FOUND/);
  });

  it('writes the next numbered migration from the template', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pgferry-migrations-'));
    writeFileSync(path.join(dir, '0007_existing.ts'), '');
    const result = await runCli(['db', 'revision', '-m', 'Add run tags!', '--dir', dir]);
    expect(result.code).toBe(0);
    expect(readdirSync(dir).sort()).toEqual(['0007_existing.ts', '0008_add_run_tags.ts']);
    const source = readFileSync(path.join(dir, '0008_add_run_tags.ts'), 'utf8');
    expect(source).toMatch(/export async function up/);
    expect(source).toMatch(/export async function down/);

    const refused = await runCli(['db', 'revision', '-m', '!!!', '--dir', dir]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/must contain letters or digits/);
  });

  it('reports an unreachable store with exit code 3 and no password', async () => {
    const result = await runCli(['db', 'current'], {
      DATABASE_URL: 'postgres://pgferry:s3cret-pw@127.0.0.1:1/pgferry',
      PGFERRY_DB_CONNECT_TIMEOUT_MS: '2000',
    });
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/cannot reach the metadata store/);
    expect(result.stderr).not.toMatch(/s3cret-pw/);
  });
});

describe('configuration and schema mode at start', () => {
  it('refuses to serve on an empty store in migrations mode (exit 2, says to run db upgrade)', async () => {
    const database = await createTestDatabase({ migrated: false });
    const env = {
      DATABASE_URL: database.url,
      PGFERRY_SCHEMA_MODE: 'migrations',
      PGFERRY_ENCRYPTION_KEY: 'ab'.repeat(32),
      PORT: '0',
    };
    for (const command of ['serve', 'worker']) {
      const result = await runCli([command], env);
      expect(result.code, `${command}: ${result.stderr}`).toBe(2);
      expect(result.stderr).toMatch(/is empty \(no pgferry schema\).*run `pgferry db upgrade` first/);
    }
  });

  it('refuses an outdated store in migrations mode', async () => {
    const database = await createTestDatabase({ migrated: false });
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pgferry-home-'));
    const env = { DATABASE_URL: database.url };
    expect((await runCli(['db', 'upgrade'], env)).code).toBe(0);
    expect((await runCli(['db', 'downgrade'], env)).code).toBe(0);
    const result = await runCli(['worker'], { ...env, PGFERRY_SCHEMA_MODE: 'migrations', PGFERRY_HOME: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/pending.*run `pgferry db upgrade`/);
  });

  it('lists every bad variable at start (exit 2)', async () => {
    const result = await runCli(['serve'], { PORT: 'abc', PGFERRY_SCHEMA_MODE: 'never', LOG_LEVEL: 'info' });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/Invalid configuration: 2 variables/);
    expect(result.stderr).toMatch(/PORT: expected an integer/);
    expect(result.stderr).toMatch(/PGFERRY_SCHEMA_MODE/);
  });

  it('requires PGFERRY_ENCRYPTION_KEY in server mode', async () => {
    const database = await createTestDatabase();
    const result = await runCli(['serve'], { DATABASE_URL: database.url, PORT: '0' });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/PGFERRY_ENCRYPTION_KEY: required when DATABASE_URL is set/);
  });
});
