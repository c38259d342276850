import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { cliJson, runCli } from '../helpers/run-cli.js';
import { createTestDatabase, createTestStore } from '../helpers/test-database.js';

const secret = 'Cli-Recognisable-Secret-91b2';

describe('pgferry connections (CLI)', () => {
  let store: Awaited<ReturnType<typeof createTestStore>>;
  let env: Record<string, string>;
  let targetUrl: string;
  let targetName: string;

  beforeAll(async () => {
    store = await createTestStore();
    env = { DATABASE_URL: store.url, PGFERRY_ENCRYPTION_KEY: randomBytes(32).toString('hex') };
    const target = await createTestDatabase({ migrated: false, prefix: 'pgferry_cli_target' });
    targetName = target.name;
    const url = new URL(target.url);
    url.password = secret;
    targetUrl = url.toString();
  });

  afterAll(async () => {
    await store.close();
  });

  it('adds, lists, shows and tests a connection without ever printing the password', async () => {
    const added = await runCli(['connections', 'add', 'warehouse', targetUrl, '--protected', '--tag', 'prod', 'dw'], env);
    expect(added.stderr).toBe('');
    expect(added.code).toBe(0);
    expect(added.stdout).toContain('added connection "warehouse"');

    const listed = await runCli(['connections', 'list', '--json'], env);
    expect(listed.code).toBe(0);
    const list = cliJson(listed) as { items: { name: string; has_password: boolean; tags: string[] }[]; total: number };
    expect(list.total).toBe(1);
    expect(list.items[0]).toMatchObject({ name: 'warehouse', has_password: true, tags: ['prod', 'dw'] });

    const shown = await runCli(['connections', 'show', 'WAREHOUSE'], env);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain(`postgres://postgres@127.0.0.1:5432/${targetName}`);
    expect(shown.stdout).toContain('(stored, encrypted)');

    const tested = await runCli(['connections', 'test', 'warehouse', '--as', 'source'], env);
    expect(tested.stderr).toBe('');
    expect(tested.code).toBe(0);
    expect(tested.stdout).toMatch(/^ok\s+postgres@127\.0\.0\.1:5432\//);
    expect(tested.stdout).toContain('latency');

    for (const output of [added, listed, shown, tested]) {
      expect(output.stdout).not.toContain(secret);
      expect(output.stderr).not.toContain(secret);
    }
  });

  it('tests an ad-hoc URL and explains a failure with a stable code and exit code', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const result = await runCli(['connections', 'test', `postgres://etl:${secret}@127.0.0.1:${port}/app`], env);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain(`cannot connect to etl@127.0.0.1:${port}/app`);
    expect(result.stderr).toContain('[PGF_CONNECTION_REFUSED]');
    expect(result.stderr + result.stdout).not.toContain(secret);
  });

  it('refuses bad input with exit code 2 naming the field, and duplicates with 5', async () => {
    const badPort = await runCli(['connections', 'add', 'x', 'postgres://u@h:70000/d'], env);
    expect(badPort.code).toBe(2);
    expect(badPort.stderr).toContain('url port');
    const badSsl = await runCli(['connections', 'add', 'x', '--host', 'h', '--database', 'd', '--user', 'u', '--sslmode', 'sometimes'], env);
    expect(badSsl.code).toBe(2);
    expect(badSsl.stderr).toContain('sslmode');
    const missing = await runCli(['connections', 'add', 'x', '--host', 'h', '--user', 'u'], env);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--database');
    const duplicate = await runCli(['connections', 'add', 'Warehouse', targetUrl], env);
    expect(duplicate.code).toBe(5);
    expect(duplicate.stderr).toContain('a connection named "Warehouse" already exists');
    expect(duplicate.stderr).not.toContain(secret);
    const count = await store.db.selectFrom('connections').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(1);
  });

  it('refuses to remove a connection a job uses, then removes it', async () => {
    const other = await runCli(['connections', 'add', 'scratch', '--host', '127.0.0.1', '--database', 'd', '--user', 'u'], env);
    expect(other.code).toBe(0);
    const ids = await store.db.selectFrom('connections').select(['id', 'name']).execute();
    const byName = Object.fromEntries(ids.map((row) => [row.name, row.id]));
    const job = await store.db
      .insertInto('sync_jobs')
      .values({ name: 'to-scratch', source_connection_id: byName.warehouse as string, destination_connection_id: byName.scratch as string })
      .returning('id')
      .executeTakeFirstOrThrow();

    const refused = await runCli(['connections', 'rm', 'scratch'], env);
    expect(refused.code).toBe(5);
    expect(refused.stderr).toContain('sync job "to-scratch"');

    await store.db.deleteFrom('sync_jobs').where('id', '=', job.id).execute();
    const removed = await runCli(['connections', 'rm', 'scratch'], env);
    expect(removed.code).toBe(0);
    expect(removed.stdout).toContain('removed connection "scratch"');
    const gone = await runCli(['connections', 'show', 'scratch'], env);
    expect(gone.code).toBe(4);
  });
});
