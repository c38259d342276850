import { spawn } from 'node:child_process';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { verifyPassword } from '../../src/auth/password-hash.js';
import { type CliResult, cliPath, cliJson, runCli } from '../helpers/run-cli.js';
import { type TestApp, createTestApp } from '../helpers/test-app.js';

/** runCli without stdin; this one pipes `input` to the command (for --password-stdin). */
function runCliWithInput(args: string[], env: Record<string, string>, input: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliPath, ...args], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LOG_LEVEL: 'warn', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

// Each CLI call starts a Node process with tsx: seconds each on a busy two-core machine.
describe('pgferry users / tokens / whoami', () => {
  let t: TestApp;
  let env: Record<string, string>;
  let serverUrl: string;
  const password = 'cli-admin-password-88';

  beforeAll(async () => {
    t = await createTestApp();
    env = { DATABASE_URL: t.store.url };
    // A listening server for the remote mode (closed by t.close()).
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const address = t.app.server.address();
    serverUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  afterAll(async () => {
    await t.close();
  });

  it('creates an admin from stdin, lists, disables, enables, sets roles and resets passwords locally', async () => {
    const created = await runCliWithInput(['users', 'create', 'root', '--admin', '--password-stdin'], env, `${password}\n`);
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    expect(created.stdout).toContain('created user root (admin)');
    expect(created.stdout).not.toContain(password);
    const row = await t.store.db.selectFrom('users').selectAll().where('username', '=', 'root').executeTakeFirstOrThrow();
    expect(row.password_hash).toMatch(/^\$argon2id\$/);
    expect(await verifyPassword(row.password_hash, password)).toBe(true);

    const short = await runCliWithInput(['users', 'create', 'shorty', '--password-stdin'], env, 'short\n');
    expect(short.code).toBe(2);
    expect(short.stderr).toContain('at least 12 characters');

    const noTty = await runCli(['users', 'create', 'nobody'], env);
    expect(noTty.code).toBe(2);
    expect(noTty.stderr).toContain('--password-stdin');

    const generated = await runCli(['users', 'create', 'op', '--role', 'operator', '--generate-password', '--json'], env);
    expect(generated.code).toBe(0);
    const opPassword = cliJson(generated).password as string;
    expect(opPassword).toHaveLength(20);

    expect((await runCli(['users', 'disable', 'op'], env)).code).toBe(0);
    expect((await runCli(['users', 'set-role', 'op', 'viewer'], env)).code).toBe(0);
    const listed = await runCli(['users', 'list', '--json'], env);
    const op = (cliJson(listed) as Array<{ username: string; role: string; disabled: boolean }>).find((user) => user.username === 'op');
    expect(op).toMatchObject({ role: 'viewer', disabled: true });
    expect(listed.stdout).not.toContain('argon2');
    expect((await runCli(['users', 'enable', 'op'], env)).code).toBe(0);

    const reset = await runCliWithInput(['users', 'reset-password', 'op', '--password-stdin'], env, 'a-brand-new-password-1\n');
    expect(reset.code).toBe(0);
    const login = await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'op', password: 'a-brand-new-password-1' } });
    expect(login.statusCode).toBe(200);

    // Local commands change the store without HTTP; they still leave audit rows, without secrets.
    const audited = await t.store.db.selectFrom('audit_log').selectAll().where('actor_type', '=', 'system').orderBy('id').execute();
    expect(audited.map((row) => row.action)).toEqual(['user.create', 'user.create', 'user.update', 'user.update', 'user.update', 'user.update']);
    expect(audited[0]?.actor_name).toMatch(/^cli:/);
    expect(JSON.stringify(audited)).not.toContain(password);
    expect(JSON.stringify(audited)).not.toContain(opPassword);
    expect(JSON.stringify(audited)).not.toContain('a-brand-new-password-1');

    const missing = await runCli(['users', 'disable', 'ghost'], env);
    expect(missing.code).toBe(4);
    expect(missing.stderr).toContain('PGF_NOT_FOUND');
  });

  it('creates a token locally, shows it once, and uses it against a server with PGFERRY_SERVER/PGFERRY_TOKEN', async () => {
    const created = await runCli(['tokens', 'create', '--name', 'ci', '--role', 'operator', '--user', 'root', '--json'], env);
    expect(created.code).toBe(0);
    const token = cliJson(created) as { id: string; token: string };
    expect(token.token).toMatch(/^pgf_/);

    const remoteEnv = { PGFERRY_SERVER: serverUrl, PGFERRY_TOKEN: token.token };
    const whoami = await runCli(['whoami'], remoteEnv);
    expect(whoami.code).toBe(0);
    expect(whoami.stdout).toContain('root (operator)');
    expect(whoami.stdout).not.toContain(token.token);

    // An operator token cannot manage users: the server's 403 becomes the CLI's exit code.
    const forbidden = await runCli(['users', 'list'], remoteEnv);
    expect(forbidden.code).toBe(9);
    expect(forbidden.stderr).toContain('PGF_FORBIDDEN');

    const listed = await runCli(['tokens', 'list'], env);
    expect(listed.stdout).toContain('ci');
    expect(listed.stdout).not.toContain(token.token);

    expect((await runCli(['tokens', 'revoke', token.id], env)).code).toBe(0);
    const afterRevoke = await runCli(['whoami', '--server', serverUrl], { PGFERRY_TOKEN: token.token });
    expect(afterRevoke.code).toBe(8);
    expect(afterRevoke.stderr).toContain('PGF_UNAUTHENTICATED');
  });

  it('manages users and tokens remotely with an admin token', async () => {
    const admin = cliJson(await runCli(['tokens', 'create', '--name', 'admin-cli', '--role', 'admin', '--user', 'root', '--json'], env)) as { token: string };
    const remoteEnv = { PGFERRY_SERVER: serverUrl, PGFERRY_TOKEN: admin.token };
    const created = await runCli(['users', 'create', 'remote-viewer', '--generate-password', '--server', serverUrl], { PGFERRY_TOKEN: admin.token });
    expect(created.code).toBe(0);
    expect((await runCli(['users', 'set-role', 'remote-viewer', 'operator'], remoteEnv)).code).toBe(0);
    const token = await runCli(['tokens', 'create', '--name', 'deploy', '--role', 'operator', '--user', 'remote-viewer', '--json'], remoteEnv);
    expect(token.code).toBe(0);
    expect(cliJson(token)).toMatchObject({ username: 'remote-viewer', role: 'operator' });
    // Remote changes are audited with the token's user as actor.
    const rows = await t.store.db.selectFrom('audit_log').select(['action', 'actor_name', 'actor_type']).where('actor_name', '=', 'root').execute();
    expect(rows.map((row) => row.action)).toEqual(expect.arrayContaining(['user.create', 'user.update', 'api_token.create']));

    const unreachable = await runCli(['whoami'], { PGFERRY_SERVER: 'http://127.0.0.1:9', PGFERRY_TOKEN: admin.token });
    expect(unreachable.code).toBe(3);
    expect(unreachable.stderr).toContain('cannot reach pgferry');
    expect(unreachable.stderr).not.toContain(admin.token);
  });
});
