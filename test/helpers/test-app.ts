import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';

import type { InjectOptions, LightMyRequestResponse } from 'fastify';

import { type App, buildApp } from '../../src/api/build-app.js';
import { loadConfig } from '../../src/config/load-config.js';
import type { Config } from '../../src/config/config-schema.js';
import { createLogger } from '../../src/logger.js';
import { keyFromBytes } from '../../src/secrets/encryption-key.js';
import { SecretBox } from '../../src/secrets/secret-box.js';
import { generateApiToken } from '../../src/auth/secret-token.js';
import { trackResource } from './leak-check.js';
import { createTestStore } from './test-database.js';

export type TestRole = 'admin' | 'operator' | 'viewer' | 'anonymous';

export interface TestApp {
  app: App;
  store: Awaited<ReturnType<typeof createTestStore>>;
  secrets: SecretBox;
  config: Config;
  /** Every log line the app wrote (JSON text), for asserting that secrets never appear. */
  logs: string[];
  /**
   * `as` picks the caller's role (default admin; `anonymous` sends no credentials). Each role
   * is a user `pgferry-test-<role>` with an API token, created on first use and sent as a
   * Bearer header. A request that sets its own `authorization`/`cookie` header or `cookies` and no `as`
   * goes out exactly as given.
   */
  request(options: InjectOptions & { as?: TestRole }): Promise<LightMyRequestResponse>;
  /** The Bearer token (and its user id) `request({ as: role })` uses, for tests that need them. */
  credentialsFor(role: Exclude<TestRole, 'anonymous'>): Promise<{ token: string; userId: string; tokenId: string }>;
  close(): Promise<void>;
}

/** A real app on a fresh migrated store, with captured logs. Close it in afterAll. */
export async function createTestApp(env: Record<string, string> = {}, options: { secrets?: SecretBox } = {}): Promise<TestApp> {
  const store = await createTestStore();
  const config = loadConfig({ env: { DATABASE_URL: store.url, LOG_LEVEL: 'debug', ...env }, cwd: '/nonexistent' });
  const logs: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      logs.push(chunk.toString());
      callback();
    },
  });
  const logger = createLogger({ level: 'debug', destination, pretty: false });
  // A test whose CLI subprocesses or workers open the same secrets passes their box.
  const secrets = options.secrets ?? new SecretBox(keyFromBytes(randomBytes(32)));
  const app = await buildApp({ config, store, logger, secrets });
  const release = trackResource('test app', async () => {
    await app.close();
    await store.close();
  });
  const mutations: AuditedMutation[] = [];
  /** Secret values sent in request bodies, and every response body but token creations (which show the token once). */
  const sentSecrets = new Set<string>();
  const answers: string[] = [];
  const credentials = new Map<string, Promise<{ token: string; userId: string; tokenId: string }>>();
  const credentialsFor = (role: Exclude<TestRole, 'anonymous'>) => {
    let created = credentials.get(role);
    if (!created) {
      created = createRoleCredentials(store, role);
      credentials.set(role, created);
    }
    return created;
  };
  return {
    app,
    store,
    secrets,
    config,
    logs,
    credentialsFor,
    request: async ({ as, ...options }) => {
      const headers: Record<string, string | string[] | undefined> = { ...(options.headers as Record<string, string> | undefined) };
      const ownCredentials =
        options.cookies !== undefined || Object.keys(headers).some((name) => ['authorization', 'cookie'].includes(name.toLowerCase()));
      const role = as ?? (ownCredentials ? 'anonymous' : 'admin');
      if (role !== 'anonymous') headers.authorization = `Bearer ${(await credentialsFor(role)).token}`;
      const response = await app.inject({ ...options, headers } as InjectOptions);
      collectSecrets(typeof options.payload === 'string' ? parseJson(options.payload) : options.payload, sentSecrets);
      const target = typeof options.url === 'string' ? options.url : (options.url?.pathname ?? '');
      if (!(options.method === 'POST' && /\/api\/v1\/tokens\/?$/.test(target))) answers.push(response.body);
      const method = (options.method ?? 'GET').toUpperCase();
      if (!['GET', 'HEAD', 'OPTIONS'].includes(method) && !ownCredentials) {
        mutations.push({ what: `${method} ${options.url ?? options.path ?? ''} as ${role} → ${response.statusCode}`, requestId: String(response.headers['x-request-id']), role, status: response.statusCode, body: response.body });
      }
      return response;
    },
    close: async () => {
      release();
      try {
        await assertAudited(store, mutations);
        for (const created of credentials.values()) sentSecrets.add((await created).token);
        await assertNoSecretsShown(store, sentSecrets, { logs: logs.join('\n'), responses: answers.join('\n') });
      } finally {
        await app.close();
        await store.close();
      }
    },
  };
}

/** A user with an unusable password (`!`: never matches a login) and an API token of `role`. */
async function createRoleCredentials(
  store: Awaited<ReturnType<typeof createTestStore>>,
  role: Exclude<TestRole, 'anonymous'>,
): Promise<{ token: string; userId: string; tokenId: string }> {
  const user = await store.db
    .insertInto('users')
    .values({ username: `pgferry-test-${role}`, password_hash: '!', role })
    .returning('id')
    .executeTakeFirstOrThrow();
  const secret = generateApiToken();
  const token = await store.db
    .insertInto('api_tokens')
    .values({ user_id: user.id, name: 'test-app', role, token_prefix: secret.prefix, token_hash: secret.hash })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { token: secret.token, userId: user.id, tokenId: token.id };
}

interface AuditedMutation {
  what: string;
  requestId: string;
  role: TestRole;
  status: number;
  body: string;
}

/**
 * Issue 7: every mutation made through `request()` must have left exactly one audit row with
 * the right actor. Checked when the app closes, so every feature's route tests enforce it.
 * Unknown routes (404 PGF_ROUTE_NOT_FOUND) are not audited; a 401 has no actor.
 */
async function assertAudited(store: Awaited<ReturnType<typeof createTestStore>>, mutations: AuditedMutation[]): Promise<void> {
  const expected = mutations.filter((mutation) => !mutation.body.includes('PGF_ROUTE_NOT_FOUND'));
  if (expected.length === 0) return;
  let rows: Array<{ request_id: string | null; actor_name: string | null }>;
  try {
    rows = await store.db.selectFrom('audit_log').select(['request_id', 'actor_name']).where('request_id', 'in', expected.map((item) => item.requestId)).execute();
  } catch {
    return; // The test took the store apart (a downgrade, say): nothing left to check.
  }
  const problems: string[] = [];
  for (const mutation of expected) {
    const matching = rows.filter((row) => row.request_id === mutation.requestId);
    const actor = mutation.role === 'anonymous' || mutation.status === 401 ? null : `pgferry-test-${mutation.role}`;
    if (matching.length !== 1) problems.push(`${mutation.what}: ${matching.length} audit rows`);
    else if ((matching[0]?.actor_name ?? null) !== actor) problems.push(`${mutation.what}: audit actor ${String(matching[0]?.actor_name)}, expected ${String(actor)}`);
  }
  if (problems.length > 0) throw new Error(`mutations without exactly one audit row with the right actor:\n  ${problems.join('\n  ')}`);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const secretField = /pass(word|phrase)?|secret|token|(^|_)key$|credential/i;

/** String values of at least 8 characters under secret-looking field names, at any depth. */
function collectSecrets(payload: unknown, into: Set<string>, depth = 0): void {
  if (depth > 20 || payload === null || typeof payload !== 'object') return;
  for (const [field, value] of Object.entries(payload as Record<string, unknown>)) {
    if (typeof value === 'string' && value.length >= 8 && secretField.test(field)) into.add(value);
    else collectSecrets(value, into, depth + 1);
  }
}

/**
 * Issue 7: none of the secrets a test sent (passwords, S3 keys, webhook secrets, tokens) may
 * appear in the app's logs, in any answer, or in the audit log. Checked when the app closes.
 */
async function assertNoSecretsShown(
  store: Awaited<ReturnType<typeof createTestStore>>,
  secrets: Set<string>,
  texts: { logs: string; responses: string },
): Promise<void> {
  if (secrets.size === 0) return;
  let audit = '';
  try {
    audit = JSON.stringify(await store.db.selectFrom('audit_log').select(['request_body', 'actor_name', 'resource_id', 'user_agent']).execute());
  } catch {
    // The store was taken apart by the test: logs and answers are still checked.
  }
  const found: string[] = [];
  for (const [where, text] of Object.entries({ ...texts, 'audit rows': audit })) {
    for (const secret of secrets) if (text.includes(secret)) found.push(`${where} contain a secret sent as ${JSON.stringify(`${secret.slice(0, 3)}…`)}`);
  }
  if (found.length > 0) throw new Error(`secrets leaked:\n  ${found.join('\n  ')}`);
}
