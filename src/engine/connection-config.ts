import type pg from 'pg';

import { PgferryError } from '../errors/pgferry-error.js';

/** libpq's sslmode values, in order of increasing strictness. */
export const sslModes = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'] as const;
export type SslMode = (typeof sslModes)[number];

/** A PostgreSQL target as the user describes it (the fields of a saved connection). */
export interface ConnectionFields {
  host: string;
  /** (default: 5432) */
  port: number;
  database: string;
  user: string;
  password?: string | undefined;
  /** (default: prefer) */
  sslmode: SslMode;
  application_name?: string | undefined;
  /** Seconds to wait for the server when connecting (default: none, the caller bounds it). */
  connect_timeout?: number | undefined;
  /** Startup options passed to the server, e.g. `-c statement_timeout=0`. */
  options?: string | undefined;
}

/** The limits the store enforces (migration 0001), checked before anything is written. */
export const connectionLimits = {
  host: 255,
  database: 63,
  user: 63,
  password: 1000,
  application_name: 63,
  options: 2000,
  connect_timeout: { min: 1, max: 600 },
} as const;

function invalid(field: string, message: string): PgferryError {
  return new PgferryError('PGF_VALIDATION_FAILED', `${field}: ${message}`, { details: { fields: [{ field, message }] } });
}

function decode(value: string, field: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    throw invalid(field, 'has a malformed %-escape');
  }
}

/** Checks a fields object against the limits of the store; throws naming the first bad field. */
export function validateConnectionFields(fields: ConnectionFields, prefix = ''): ConnectionFields {
  const check = (field: keyof typeof connectionLimits, value: string | undefined, required: boolean) => {
    if (value === undefined || value === '') {
      if (required) throw invalid(`${prefix}${field}`, 'is required');
      return;
    }
    const max = connectionLimits[field] as number;
    if (value.length > max) throw invalid(`${prefix}${field}`, `is longer than ${max} characters`);
  };
  check('host', fields.host, true);
  check('database', fields.database, true);
  check('user', fields.user, true);
  check('password', fields.password, false);
  check('application_name', fields.application_name, false);
  check('options', fields.options, false);
  if (!Number.isInteger(fields.port) || fields.port < 1 || fields.port > 65535) {
    throw invalid(`${prefix}port`, 'expected an integer between 1 and 65535');
  }
  if (!(sslModes as readonly string[]).includes(fields.sslmode)) {
    throw invalid(`${prefix}sslmode`, `expected one of ${sslModes.join(', ')}`);
  }
  const timeout = fields.connect_timeout;
  if (timeout !== undefined && (!Number.isInteger(timeout) || timeout < 1 || timeout > 600)) {
    throw invalid(`${prefix}connect_timeout`, 'expected an integer number of seconds between 1 and 600');
  }
  return fields;
}

/**
 * Parses `postgres://USER:PASSWORD@host:port/database?sslmode=…&application_name=…&connect_timeout=…&options=…`.
 * Errors name the part that is wrong and never echo the URL (it may hold a password).
 */
export function parseConnectionUrl(url: string, field = 'url'): ConnectionFields {
  const text = url.trim();
  if (!/^postgres(ql)?:\/\//i.test(text)) {
    throw invalid(field, 'expected a postgres:// or postgresql:// URL, e.g. postgres://user@db.example.com:5432/app');
  }
  // Checked before URL parsing, which would only say "invalid URL" for a port of 70000.
  const portText = /^[a-z]+:\/\/(?:[^@/?#]*@)?(?:\[[^\]]*\]|[^:/?#]*)(?::([^/?#]*))?/i.exec(text)?.[1];
  if (portText !== undefined && portText !== '' && !(/^\d{1,5}$/.test(portText) && Number(portText) >= 1 && Number(portText) <= 65535)) {
    throw invalid(`${field} port`, 'expected an integer between 1 and 65535');
  }
  let parsed: URL;
  try {
    parsed = new URL(text);
  } catch {
    throw invalid(field, 'is not a valid URL (check the host and port, and %-encode special characters in the password)');
  }
  const host = decode(parsed.hostname, `${field} host`).replace(/^\[(.*)\]$/, '$1');
  if (host === '') throw invalid(field, 'has no host');
  const port = parsed.port === '' ? 5432 : Number(parsed.port);
  const database = decode(parsed.pathname.replace(/^\//, ''), `${field} database`);
  if (database === '') throw invalid(field, 'has no database name (postgres://user@host:5432/DATABASE)');
  const user = decode(parsed.username, `${field} user`);
  if (user === '') throw invalid(field, 'has no user name (postgres://USER@host:5432/database)');
  const known = new Set(['sslmode', 'application_name', 'connect_timeout', 'options']);
  for (const key of parsed.searchParams.keys()) {
    if (!known.has(key)) throw invalid(`${field} parameter ${key}`, `is not supported; use ${[...known].join(', ')}`);
  }
  const sslmode = parsed.searchParams.get('sslmode') ?? 'prefer';
  if (!(sslModes as readonly string[]).includes(sslmode)) {
    throw invalid(`${field} parameter sslmode`, `expected one of ${sslModes.join(', ')}`);
  }
  const timeoutText = parsed.searchParams.get('connect_timeout');
  const fields: ConnectionFields = {
    host,
    port,
    database,
    user,
    password: parsed.password === '' ? undefined : decode(parsed.password, `${field} password`),
    sslmode: sslmode as SslMode,
    application_name: parsed.searchParams.get('application_name') ?? undefined,
    connect_timeout: timeoutText === null ? undefined : Number(timeoutText),
    options: parsed.searchParams.get('options') ?? undefined,
  };
  return validateConnectionFields(fields, `${field} `);
}

/**
 * Maps sslmode to node-postgres, which cannot fall back from TLS to plain text within one
 * attempt: `allow`/`prefer` connect without TLS (what libpq ends up doing against a server
 * without SSL); `require` encrypts without verifying the certificate (libpq without a root
 * certificate); `verify-ca` checks the chain; `verify-full` also checks the host name.
 */
function sslOption(mode: SslMode, host: string): pg.ClientConfig['ssl'] {
  switch (mode) {
    case 'disable':
    case 'allow':
    case 'prefer':
      return false;
    case 'require':
      return { rejectUnauthorized: false };
    case 'verify-ca':
      return { rejectUnauthorized: true, checkServerIdentity: () => undefined };
    case 'verify-full':
      return { rejectUnauthorized: true, servername: host };
  }
}

export function clientConfigFromFields(fields: ConnectionFields): pg.ClientConfig {
  const config: pg.ClientConfig = {
    host: fields.host,
    port: fields.port,
    database: fields.database,
    user: fields.user,
    ssl: sslOption(fields.sslmode, fields.host),
    application_name: fields.application_name ?? 'pgferry',
  };
  // pg falls back to PGPASSWORD/.pgpass when no password is set; an empty one is explicit.
  if (fields.password !== undefined) config.password = fields.password;
  if (fields.connect_timeout !== undefined) config.connectionTimeoutMillis = fields.connect_timeout * 1000;
  if (fields.options !== undefined && fields.options !== '') config.options = fields.options;
  return config;
}

/** A ready `pg.ClientConfig` for an ad-hoc URL (CLI `--source postgres://…`). */
export function connectionConfigFromUrl(url: string): pg.ClientConfig {
  return clientConfigFromFields(parseConnectionUrl(url));
}

/** `user@host:port/database` for messages and logs: never the password. */
export function describeTarget(config: pg.ClientConfig | ConnectionFields): string {
  const fromUrl = 'connectionString' in config && config.connectionString && config.host === undefined ? describeUrl(config.connectionString) : undefined;
  if (fromUrl !== undefined) return fromUrl;
  const host = config.host ?? 'localhost';
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return `${config.user ?? '(default user)'}@${shownHost}:${config.port ?? 5432}/${config.database ?? '(default database)'}`;
}

/** `user@host:port/database` of a URL without parsing strictly (a config may carry any URL). */
function describeUrl(url: string): string | undefined {
  if (!URL.canParse(url)) return undefined;
  const parsed = new URL(url);
  const decode = (value: string) => {
    try {
      return decodeURIComponent(value);
    } catch {
      return value;
    }
  };
  return `${decode(parsed.username) || '(default user)'}@${parsed.hostname || 'localhost'}:${parsed.port || 5432}/${decode(parsed.pathname.replace(/^\//, '')) || '(default database)'}`;
}

/** The URL form of a connection with the password left out (for `connections show`). */
export function connectionUrlWithoutPassword(fields: ConnectionFields): string {
  const host = fields.host.includes(':') ? `[${fields.host}]` : fields.host;
  const url = new URL(`postgres://${host}`);
  url.username = encodeURIComponent(fields.user);
  url.port = String(fields.port);
  url.pathname = `/${encodeURIComponent(fields.database)}`;
  if (fields.sslmode !== 'prefer') url.searchParams.set('sslmode', fields.sslmode);
  if (fields.application_name) url.searchParams.set('application_name', fields.application_name);
  if (fields.connect_timeout !== undefined) url.searchParams.set('connect_timeout', String(fields.connect_timeout));
  if (fields.options) url.searchParams.set('options', fields.options);
  return url.toString();
}
