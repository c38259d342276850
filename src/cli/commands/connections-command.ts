import type { Command } from 'commander';

import {
  type ConnectionFields,
  type SslMode,
  clientConfigFromFields,
  connectionUrlWithoutPassword,
  parseConnectionUrl,
  sslModes,
  validateConnectionFields,
} from '../../engine/connection-config.js';
import { type ConnectionTestResult, testConnection } from '../../engine/connection-test/test-connection.js';
import { type ErrorCode, errorCodes } from '../../errors/error-codes.js';
import { PgferryError } from '../../errors/pgferry-error.js';
import { assertKeyMatchesStoredSecrets } from '../../store/assert-key-matches.js';
import { resolveEncryptionKey } from '../../secrets/encryption-key.js';
import { SecretBox } from '../../secrets/secret-box.js';
import { createConnection } from '../../jobs/connection-service.js';
import {
  type ConnectionView,
  deleteConnection,
  getConnection,
  listConnections,
  loadConnectionTarget,
} from '../../store/connection-repository.js';
import { type OpenedStore, openStore } from '../../store/open-store.js';
import { createCliContext } from '../cli-context.js';
import { formatBytes } from '../../engine/format-bytes.js';

async function withStore<T>(work: (store: OpenedStore, secrets: SecretBox) => Promise<T>, options: { checkKey?: boolean } = {}): Promise<T> {
  const { config, logger } = createCliContext();
  const secrets = new SecretBox(await resolveEncryptionKey(config, logger));
  const store = await openStore({ config, schema: config.PGFERRY_SCHEMA_MODE === 'auto' ? 'migrate' : 'check' });
  try {
    if (options.checkKey) await assertKeyMatchesStoredSecrets(store.db, secrets);
    return await work(store, secrets);
  } finally {
    await store.close();
  }
}

const json = (value: unknown) => console.log(JSON.stringify(value, null, 2));

function invalid(field: string, message: string): PgferryError {
  return new PgferryError('PGF_VALIDATION_FAILED', `${field}: ${message}`, { details: { fields: [{ field, message }] } });
}

function integerOption(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw invalid(flag, 'expected an integer');
  return Number(value);
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

interface AddOptions {
  url?: string;
  host?: string;
  port?: string;
  database?: string;
  user?: string;
  passwordStdin?: boolean;
  sslmode?: string;
  applicationName?: string;
  connectTimeout?: string;
  options?: string;
  description?: string;
  protected?: boolean;
  tag?: string[];
  json?: boolean;
}

async function fieldsFromOptions(url: string | undefined, options: AddOptions): Promise<ConnectionFields> {
  const stdinPassword = options.passwordStdin ? await readStdin() : undefined;
  if (url !== undefined) {
    const separate = (['host', 'port', 'database', 'user'] as const).filter((key) => options[key] !== undefined);
    if (separate.length > 0) throw invalid(`--${separate[0]}`, 'give either a URL or --host/--port/--database/--user, not both');
    const fields = parseConnectionUrl(url);
    const overrides: Partial<ConnectionFields> = {};
    if (options.sslmode !== undefined) overrides.sslmode = options.sslmode as SslMode;
    if (options.applicationName !== undefined) overrides.application_name = options.applicationName;
    if (options.connectTimeout !== undefined) overrides.connect_timeout = integerOption(options.connectTimeout, '--connect-timeout');
    if (options.options !== undefined) overrides.options = options.options;
    if (stdinPassword !== undefined) overrides.password = stdinPassword;
    return validateConnectionFields({ ...fields, ...overrides });
  }
  for (const key of ['host', 'database', 'user'] as const) {
    if (options[key] === undefined) throw invalid(`--${key}`, 'is required (or give a postgres:// URL)');
  }
  return validateConnectionFields({
    host: options.host as string,
    port: integerOption(options.port, '--port') ?? 5432,
    database: options.database as string,
    user: options.user as string,
    password: stdinPassword,
    sslmode: (options.sslmode ?? 'prefer') as SslMode,
    application_name: options.applicationName,
    connect_timeout: integerOption(options.connectTimeout, '--connect-timeout'),
    options: options.options,
  });
}

function printConnection(view: ConnectionView): void {
  const rows: [string, string][] = [
    ['id', view.id],
    ['name', view.name],
    ['url', connectionUrlWithoutPassword({ ...view, application_name: view.application_name ?? undefined, connect_timeout: view.connect_timeout ?? undefined, options: view.options ?? undefined })],
    ['password', view.has_password ? '(stored, encrypted)' : '(none)'],
    ['protected', view.protected ? 'yes (never the destination of a destructive operation)' : 'no'],
  ];
  if (view.description) rows.push(['description', view.description]);
  if (view.tags.length > 0) rows.push(['tags', view.tags.join(', ')]);
  rows.push(['created', view.created_at], ['updated', view.updated_at]);
  for (const [label, value] of rows) console.log(`${label.padEnd(12)}${value}`);
}

function printTestResult(result: ConnectionTestResult): void {
  if (result.error && result.server_version === null) return;
  console.log(`${result.ok ? 'ok' : 'NOT OK'}  ${result.target}`);
  console.log(`server       PostgreSQL ${result.server_version ?? '?'}${result.in_recovery ? ' (standby, read-only)' : ''}`);
  console.log(`latency      ${result.latency_ms ?? '?'} ms (connect ${result.connect_ms ?? '?'} ms)`);
  console.log(`size         ${formatBytes(result.database_size_bytes)}`);
  console.log(`role         ${result.current_user ?? '?'}${result.is_superuser ? ' (superuser)' : ''}`);
  for (const [label, check] of [['as source', result.source], ['as destination', result.destination]] as const) {
    if (check === null) continue;
    console.log(`${label.padEnd(13)}${check.ok ? 'ok' : 'missing:'}`);
    for (const line of check.missing) console.log(`  - ${line}`);
  }
}

/** `pgferry connections …`: the registry from the command line, against the metadata store. */
export function registerConnectionsCommand(program: Command): void {
  const connections = program.command('connections').description('Register, list, test and remove PostgreSQL connections');

  connections
    .command('add')
    .description('Register a connection from a URL or from --host/--port/--database/--user')
    .argument('<name>', 'unique name, e.g. prod-orders')
    .argument('[url]', 'postgres://user@host:5432/database?sslmode=require (a password in it is visible to other local users; prefer --password-stdin)')
    .option('--host <host>')
    .option('--port <port>', 'default 5432')
    .option('--database <name>')
    .option('--user <name>')
    .option('--password-stdin', 'read the password from standard input')
    .option('--sslmode <mode>', sslModes.join('|'))
    .option('--application-name <name>')
    .option('--connect-timeout <seconds>')
    .option('--options <text>', 'server startup options, e.g. "-c statement_timeout=0"')
    .option('--description <text>')
    .option('--protected', 'mark as production: never the destination of a destructive operation')
    .option('--tag <tag...>', 'one or more tags')
    .option('--json', 'machine-readable output')
    .action(async (name: string, url: string | undefined, options: AddOptions) => {
      const fields = await fieldsFromOptions(url, options);
      const view = await withStore(
        (store, secrets) =>
          createConnection(store.db, secrets, {
            name,
            description: options.description,
            protected: options.protected ?? false,
            tags: options.tag,
            fields,
          }),
        { checkKey: true },
      );
      if (options.json) return json(view);
      console.log(`added connection "${view.name}" (${view.id}); check it with \`pgferry connections test ${view.name}\``);
    });

  connections
    .command('list')
    .description('List connections')
    .option('--search <text>', 'substring of name, host, database or description')
    .option('--page <n>', 'page number (default 1)')
    .option('--page-size <n>', 'rows per page (default 50, at most 200)')
    .option('--json', 'machine-readable output')
    .action(async (options: { search?: string; page?: string; pageSize?: string; json?: boolean }) => {
      const page = integerOption(options.page, '--page');
      const pageSize = integerOption(options.pageSize, '--page-size');
      if (page !== undefined && page < 1) throw invalid('--page', 'expected 1 or more');
      if (pageSize !== undefined && (pageSize < 1 || pageSize > 200)) throw invalid('--page-size', 'expected 1 to 200');
      const result = await withStore((store) => listConnections(store.db, { search: options.search, page, page_size: pageSize }));
      if (options.json) return json(result);
      if (result.items.length === 0) return console.log('No connections. Add one with `pgferry connections add NAME postgres://…`.');
      for (const item of result.items) {
        console.log(`${item.name.padEnd(24)} ${`${item.user}@${item.host}:${item.port}/${item.database}`.padEnd(48)} ${item.protected ? 'protected' : ''}`);
      }
      if (result.total > result.items.length) console.log(`(page ${result.page}: ${result.items.length} of ${result.total})`);
    });

  connections
    .command('show')
    .description('Show one connection (never its password)')
    .argument('<name>', 'name or id')
    .option('--json', 'machine-readable output')
    .action(async (name: string, options: { json?: boolean }) => {
      const view = await withStore((store) => getConnection(store.db, name));
      if (options.json) return json(view);
      printConnection(view);
    });

  connections
    .command('test')
    .description('Test a saved connection (by name) or a postgres:// URL: reachability, version, latency, size, privileges')
    .argument('<name-or-url>')
    .option('--schemas <list>', 'comma-separated schemas to check privileges on (default: all)')
    .option('--as <role>', 'source|destination: fail unless the role has what that needs')
    .option('--timeout <ms>', 'bound on connecting and on each check (default 10000)')
    .option('--json', 'machine-readable output')
    .action(async (target: string, options: { schemas?: string; as?: string; timeout?: string; json?: boolean }) => {
      if (options.as !== undefined && options.as !== 'source' && options.as !== 'destination') throw invalid('--as', 'expected source or destination');
      const timeoutMs = integerOption(options.timeout, '--timeout');
      const testOptions = {
        ...(options.schemas ? { schemas: options.schemas.split(',').map((schema) => schema.trim()).filter(Boolean) } : {}),
        ...(options.as ? { as: options.as as 'source' | 'destination' } : {}),
        ...(timeoutMs === undefined ? {} : { timeoutMs }),
      };
      const result = /^postgres(ql)?:\/\//i.test(target)
        ? await testConnection(clientConfigFromFields(parseConnectionUrl(target)), testOptions)
        : await withStore(async (store, secrets) => testConnection((await loadConnectionTarget(store.db, secrets, target)).config, testOptions), {
            checkKey: true,
          });
      if (options.json) json(result);
      else printTestResult(result);
      if (result.error) {
        process.stderr.write(`pgferry: ${result.error.message} [${result.error.code}]\n`);
        process.exitCode = errorCodes[result.error.code as ErrorCode]?.exit ?? 1;
      } else if (!result.ok) {
        process.exitCode = 6;
      }
    });

  connections
    .command('rm')
    .description('Remove a connection (refused while saved jobs use it)')
    .argument('<name>', 'name or id')
    .option('--json', 'machine-readable output')
    .action(async (name: string, options: { json?: boolean }) => {
      const view = await withStore((store) => deleteConnection(store.db, name));
      if (options.json) return json({ deleted: view });
      console.log(`removed connection "${view.name}"`);
    });
}
