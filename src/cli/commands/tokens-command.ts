import type { Command } from 'commander';

import { auditCliAction } from '../../audit/cli-audit.js';
import { roles } from '../../auth/roles.js';
import { createApiToken, findUserOrThrow } from '../../auth/user-admin.js';
import { PgferryError } from '../../errors/pgferry-error.js';
import { ApiTokenRepository, type ApiTokenView } from '../../store/api-token-repository.js';
import type { Role } from '../../store/store-types.js';
import { UserRepository } from '../../store/user-repository.js';
import { addRemoteOptions, remoteClientFrom } from '../remote-client.js';
import { json, withLocalStore } from './auth-cli-support.js';
import { isUuid } from '../../store/uuid.js';

interface ApiToken {
  id: string;
  username: string;
  name: string;
  role: Role;
  token_prefix: string;
  last_used_at: string | null;
  expires_at: string | null;
  revoked_at: string | null;
  created_at: string;
}

const iso = (value: Date | null) => value?.toISOString() ?? null;

function toApiToken(view: ApiTokenView): ApiToken {
  return {
    id: view.id,
    username: view.username,
    name: view.name,
    role: view.role,
    token_prefix: view.token_prefix,
    last_used_at: iso(view.last_used_at),
    expires_at: iso(view.expires_at),
    revoked_at: iso(view.revoked_at),
    created_at: view.created_at.toISOString(),
  };
}

function parseRole(value: string): Role {
  if (!(roles as readonly string[]).includes(value)) throw new PgferryError('PGF_VALIDATION_FAILED', `--role must be one of ${roles.join(', ')} (got "${value}")`);
  return value as Role;
}

function parseDays(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{1,4}$/.test(value) || Number(value) < 1 || Number(value) > 3650) {
    throw new PgferryError('PGF_VALIDATION_FAILED', '--expires-in-days must be a whole number of days between 1 and 3650');
  }
  return Number(value);
}

export function registerTokensCommand(program: Command): void {
  const group = program.command('tokens').description('API tokens for the CLI and automation (local store, or a server with --server)');
  const tokens = { command: (spec: string) => addRemoteOptions(group.command(spec)) };

  tokens
    .command('create')
    .description('Create a token and print it once (only its hash is stored)')
    .requiredOption('--name <name>', 'what the token is for, e.g. ci')
    .option('--role <role>', `${roles.join(', ')}; never more than the user's role`, 'viewer')
    .option('--user <username>', "owner (default: the caller with --server; locally: the only admin)")
    .option('--expires-in-days <n>', 'expire after n days (default: never)')
    .option('--json', 'machine-readable output')
    .action(async (options: { name: string; role: string; user?: string; expiresInDays?: string; json?: boolean }, command: Command) => {
      const role = parseRole(options.role);
      const expiresInDays = parseDays(options.expiresInDays);
      const remote = remoteClientFrom(command.optsWithGlobals());
      let created: ApiToken & { token: string };
      if (remote) {
        let userId: string | undefined;
        if (options.user) {
          const page = await remote.get<{ items: Array<{ id: string; username: string }> }>(`/api/v1/users?q=${encodeURIComponent(options.user)}&page_size=500`);
          userId = page.items.find((item) => item.username.toLowerCase() === options.user?.toLowerCase())?.id;
          if (!userId) throw new PgferryError('PGF_NOT_FOUND', `user "${options.user}" does not exist on ${remote.server}`);
        }
        created = await remote.post('/api/v1/tokens', { name: options.name, role, ...(userId ? { user_id: userId } : {}), ...(expiresInDays ? { expires_in_days: expiresInDays } : {}) });
      } else {
        created = await withLocalStore(async (store) => {
          const user = options.user ? await findUserOrThrow(store, options.user) : await onlyAdmin(store);
          const result = await createApiToken(store, { user, name: options.name, role, expiresInDays });
          await auditCliAction(store, { action: 'api_token.create', resourceType: 'api_token', resourceId: result.view.id, input: { name: options.name, role, user: user.username, expires_in_days: expiresInDays ?? null } });
          return { ...toApiToken(result.view), token: result.token };
        });
      }
      if (options.json) return json(created);
      console.log(`created token "${created.name}" (${created.role}) for ${created.username}, id ${created.id}`);
      console.log(created.token);
      console.log('(shown once: store it now, e.g. as PGFERRY_TOKEN in your CI secrets)');
    });

  tokens
    .command('list')
    .description('List tokens (never the tokens themselves)')
    .option('--all', 'include revoked tokens')
    .option('--json', 'machine-readable output')
    .action(async (options: { all?: boolean; json?: boolean }, command: Command) => {
      const remote = remoteClientFrom(command.optsWithGlobals());
      const items = remote
        ? (await remote.get<{ items: ApiToken[] }>(`/api/v1/tokens?page_size=500&include_revoked=${options.all ? 'true' : 'false'}`)).items
        : await withLocalStore(async (store) =>
            (await new ApiTokenRepository(store.db).list({ includeRevoked: options.all === true, page: 1, pageSize: 10_000 })).items.map(toApiToken),
          );
      if (options.json) return json(items);
      if (items.length === 0) return console.log('No tokens.');
      for (const token of items) {
        const state = token.revoked_at ? 'revoked' : token.expires_at && token.expires_at < new Date().toISOString() ? 'expired' : 'active';
        console.log(`${token.id}  ${token.token_prefix}…  ${token.name.padEnd(16)} ${token.role.padEnd(9)} ${token.username.padEnd(16)} ${state.padEnd(8)} last used ${token.last_used_at ?? 'never'}`);
      }
    });

  tokens
    .command('revoke <id>')
    .description('Revoke a token: it fails from the next request on')
    .option('--json', 'machine-readable output')
    .action(async (id: string, options: { json?: boolean }, command: Command) => {
      if (!isUuid(id)) {
        throw new PgferryError('PGF_VALIDATION_FAILED', 'give the token id shown by `pgferry tokens list` (a UUID)');
      }
      const remote = remoteClientFrom(command.optsWithGlobals());
      const revoked = remote
        ? await remote.delete<ApiToken>(`/api/v1/tokens/${id}`)
        : await withLocalStore(async (store) => {
            const view = await new ApiTokenRepository(store.db).revoke(id);
            if (!view) throw new PgferryError('PGF_NOT_FOUND', `token ${id} does not exist; see \`pgferry tokens list\``);
            await auditCliAction(store, { action: 'api_token.revoke', resourceType: 'api_token', resourceId: id });
            return toApiToken(view);
          });
      if (options.json) return json(revoked);
      console.log(`revoked token "${revoked.name}" of ${revoked.username}`);
    });
}

/** Locally there is no caller; a lone admin is the obvious owner, otherwise --user must say. */
async function onlyAdmin(store: Parameters<Parameters<typeof withLocalStore>[0]>[0]) {
  const admins = (await new UserRepository(store.db).list({ role: 'admin', disabled: false, page: 1, pageSize: 2 })).items;
  if (admins.length !== 1 || !admins[0]) {
    throw new PgferryError('PGF_VALIDATION_FAILED', `name the token's owner with --user (there are ${admins.length === 0 ? 'no' : 'several'} enabled admins)`);
  }
  return admins[0];
}
