import type { Command } from 'commander';

import { auditCliAction } from '../../audit/cli-audit.js';
import { roles } from '../../auth/roles.js';
import { createUser, findUserOrThrow, updateUser } from '../../auth/user-admin.js';
import { PgferryError } from '../../errors/pgferry-error.js';
import type { Role } from '../../store/store-types.js';
import { UserRepository } from '../../store/user-repository.js';
import { obtainPassword } from '../password-input.js';
import { type RemoteClient, addRemoteOptions, remoteClientFrom } from '../remote-client.js';
import { json, withLocalStore } from './auth-cli-support.js';

interface ApiUser {
  id: string;
  username: string;
  display_name: string | null;
  role: Role;
  disabled: boolean;
  last_login_at: string | null;
  created_at: string;
}

function parseRole(value: string): Role {
  if (!(roles as readonly string[]).includes(value)) {
    throw new PgferryError('PGF_VALIDATION_FAILED', `role must be one of ${roles.join(', ')} (got "${value}")`);
  }
  return value as Role;
}

function toApiUser(user: { id: string; username: string; display_name: string | null; role: Role; disabled_at: Date | null; last_login_at: Date | null; created_at: Date }): ApiUser {
  return {
    id: user.id,
    username: user.username,
    display_name: user.display_name,
    role: user.role,
    disabled: user.disabled_at !== null,
    last_login_at: user.last_login_at?.toISOString() ?? null,
    created_at: user.created_at.toISOString(),
  };
}

async function remoteUserId(remote: RemoteClient, username: string): Promise<string> {
  const page = await remote.get<{ items: ApiUser[] }>(`/api/v1/users?q=${encodeURIComponent(username)}&page_size=500`);
  const user = page.items.find((item) => item.username.toLowerCase() === username.toLowerCase());
  if (!user) throw new PgferryError('PGF_NOT_FOUND', `user "${username}" does not exist on ${remote.server}; see \`pgferry users list\``);
  return user.id;
}

/** Applies one change to a user, locally or through --server. */
async function changeUser(command: Command, username: string, changes: { role?: Role; disabled?: boolean; password?: string }): Promise<ApiUser> {
  const remote = remoteClientFrom(command.optsWithGlobals());
  if (remote) return remote.patch<ApiUser>(`/api/v1/users/${await remoteUserId(remote, username)}`, changes);
  return withLocalStore(async (store) => {
    const user = toApiUser(await updateUser(store, (await findUserOrThrow(store, username)).id, changes));
    await auditCliAction(store, { action: 'user.update', resourceType: 'user', resourceId: user.id, input: { username, ...changes } });
    return user;
  });
}

function printUser(user: ApiUser, asJson: boolean | undefined, verb: string): void {
  if (asJson) return json(user);
  console.log(`${verb} user ${user.username} (${user.role}${user.disabled ? ', disabled' : ''})`);
}

export function registerUsersCommand(program: Command): void {
  const group = program.command('users').description('Manage the people who use pgferry (local store, or a server with --server)');
  // Each subcommand takes --server/--token itself, so they may follow the subcommand name.
  const users = { command: (spec: string) => addRemoteOptions(group.command(spec)) };

  users
    .command('create <username>')
    .description('Create a user; the password is typed (twice), piped with --password-stdin, or generated and printed once')
    .option('--admin', 'shorthand for --role admin')
    .option('--role <role>', `one of ${roles.join(', ')}`, 'viewer')
    .option('--display-name <name>', 'name shown in the UI')
    .option('--password-stdin', 'read the password from stdin')
    .option('--generate-password', 'generate a strong password and print it once')
    .option('--json', 'machine-readable output')
    .action(async (username: string, options: { admin?: boolean; role: string; displayName?: string; passwordStdin?: boolean; generatePassword?: boolean; json?: boolean }, command: Command) => {
      const role = options.admin ? 'admin' : parseRole(options.role);
      const { password, generated } = await obtainPassword(options);
      const remote = remoteClientFrom(command.optsWithGlobals());
      const body = { username, password, role, display_name: options.displayName ?? null };
      const user = remote
        ? await remote.post<ApiUser>('/api/v1/users', body)
        : await withLocalStore(async (store) => {
            const created = toApiUser(await createUser(store, { username, password, role, displayName: options.displayName ?? null }));
            await auditCliAction(store, { action: 'user.create', resourceType: 'user', resourceId: created.id, input: body });
            return created;
          });
      if (options.json) return json(generated ? { ...user, password } : user);
      printUser(user, false, 'created');
      if (generated) console.log(`password: ${password}\n(shown once; the user can change it after logging in)`);
    });

  users
    .command('list')
    .description('List users')
    .option('--json', 'machine-readable output')
    .action(async (options: { json?: boolean }, command: Command) => {
      const remote = remoteClientFrom(command.optsWithGlobals());
      const items = remote
        ? (await remote.get<{ items: ApiUser[] }>('/api/v1/users?page_size=500')).items
        : await withLocalStore(async (store) => (await new UserRepository(store.db).list({ page: 1, pageSize: 10_000 })).items.map(toApiUser));
      if (options.json) return json(items);
      if (items.length === 0) return console.log('No users yet: create the first admin with `pgferry users create NAME --admin`.');
      for (const user of items) {
        console.log(`${user.username.padEnd(24)} ${user.role.padEnd(9)} ${user.disabled ? 'disabled' : 'active  '} last login ${user.last_login_at ?? 'never'}`);
      }
    });

  for (const [name, disabled] of [
    ['disable', true],
    ['enable', false],
  ] as const) {
    users
      .command(`${name} <username>`)
      .description(disabled ? 'Disable a user: their sessions end and their tokens stop working at once' : 'Enable a disabled user')
      .option('--json', 'machine-readable output')
      .action(async (username: string, options: { json?: boolean }, command: Command) => {
        printUser(await changeUser(command, username, { disabled }), options.json, `${name}d`);
      });
  }

  users
    .command('set-role <username> <role>')
    .description(`Change a user's role (${roles.join(', ')}); their tokens never exceed it`)
    .option('--json', 'machine-readable output')
    .action(async (username: string, role: string, options: { json?: boolean }, command: Command) => {
      printUser(await changeUser(command, username, { role: parseRole(role) }), options.json, 'updated');
    });

  users
    .command('reset-password <username>')
    .description("Set a user's password (ends their sessions); typed, piped with --password-stdin, or generated")
    .option('--password-stdin', 'read the password from stdin')
    .option('--generate-password', 'generate a strong password and print it once')
    .option('--json', 'machine-readable output')
    .action(async (username: string, options: { passwordStdin?: boolean; generatePassword?: boolean; json?: boolean }, command: Command) => {
      const { password, generated } = await obtainPassword(options);
      const user = await changeUser(command, username, { password });
      if (options.json) return json(generated ? { ...user, password } : user);
      printUser(user, false, 'reset the password of');
      if (generated) console.log(`password: ${password}\n(shown once)`);
    });
}

/** `pgferry whoami`: which user and role the given server and token stand for. */
export function registerWhoamiCommand(program: Command): void {
  addRemoteOptions(program.command('whoami').description('Show the user and role of PGFERRY_TOKEN on PGFERRY_SERVER (or --server/--token)'))
    .option('--json', 'machine-readable output')
    .action(async (options: { json?: boolean; server?: string; token?: string }) => {
      const remote = remoteClientFrom(options);
      if (!remote) {
        throw new PgferryError('PGF_VALIDATION_FAILED', 'whoami asks a server: pass --server URL (or set PGFERRY_SERVER) and a token (PGFERRY_TOKEN)');
      }
      const me = await remote.get<{ user: ApiUser; role: Role; auth: { kind: string; token_name: string | null } }>('/api/v1/auth/me');
      if (options.json) return json(me);
      console.log(`${me.user.username} (${me.role}) on ${remote.server}${me.auth.token_name ? ` via token "${me.auth.token_name}"` : ''}`);
    });
}
