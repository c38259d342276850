import { z } from 'zod';

import { checkOidcConfig, oidcConfigFields } from './oidc-config.js';
import { parseOutboundAllow } from './outbound-allow.js';

const integer = (min: number, max: number) =>
  z.coerce
    .number({ error: `expected an integer between ${min} and ${max}` })
    .int({ error: `expected an integer between ${min} and ${max}` })
    .min(min, { error: `expected an integer between ${min} and ${max}` })
    .max(max, { error: `expected an integer between ${min} and ${max}` });

const postgresUrl = z
  .string()
  .trim()
  .refine((value) => /^postgres(ql)?:\/\//.test(value) && URL.canParse(value), {
    error: 'expected a postgres:// or postgresql:// URL, e.g. postgres://user@host:5432/pgferry',
  });

/**
 * Every environment variable pgferry reads, with its default. Resolved once at start into a
 * frozen object; a wrong value is reported together with every other wrong value.
 */
export const configSchema = z.object({
  /** Metadata store URL (default: none, which starts the embedded PostgreSQL). */
  DATABASE_URL: postgresUrl.optional(),
  /** 32-byte key, hex (64 chars) or base64, for secrets at rest (default: generated in embedded mode). */
  PGFERRY_ENCRYPTION_KEY: z
    .string()
    .trim()
    .refine((value) => decodeKey(value) !== undefined, {
      error: 'expected 32 bytes as 64 hex characters or base64 (generate one with `openssl rand -hex 32`)',
    })
    .optional(),
  /** Directory for embedded data, generated key and state files (default: ./.pgferry). */
  PGFERRY_HOME: z.string().trim().min(1).default('./.pgferry'),
  /** HTTP port (default: 7910). */
  PORT: integer(0, 65535).default(7910),
  /** HTTP bind address (default: 127.0.0.1; use 0.0.0.0 in containers). */
  HOST: z.string().trim().min(1).default('127.0.0.1'),
  /** pino level (default: info). */
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** auto: migrate the store at start; migrations: refuse to start unless it is current (default: auto). */
  PGFERRY_SCHEMA_MODE: z.enum(['auto', 'migrations']).default('auto'),
  /** Maximum connections in the metadata store pool (default: 10). */
  PGFERRY_DB_POOL_MAX: integer(1, 1000).default(10),
  /** Connect timeout to the metadata store in ms (default: 10000). */
  PGFERRY_DB_CONNECT_TIMEOUT_MS: integer(100, 600000).default(10000),
  /** Comma-separated origins allowed by CORS (default: none). */
  PGFERRY_CORS_ORIGINS: z
    .string()
    .default('')
    .transform((value) => value.split(',').map((origin) => origin.trim()).filter(Boolean))
    .refine((origins) => origins.every((origin) => origin === '*' || URL.canParse(origin)), {
      error: 'expected a comma-separated list of origins such as https://pgferry.example.com',
    }),
  /** Optional cache; PostgreSQL stays the source of truth (default: none). */
  REDIS_URL: z
    .string()
    .trim()
    .refine((value) => /^rediss?:\/\//.test(value) && URL.canParse(value), { error: 'expected a redis:// URL' })
    .optional(),
  /** Jobs one worker runs at once (default: 2). */
  PGFERRY_WORKER_CONCURRENCY: integer(1, 64).default(2),
  /** Days to keep runs and run logs (default: 30). */
  PGFERRY_LOG_RETENTION_DAYS: integer(1, 3650).default(30),
  /** Port of the embedded PostgreSQL; 0 picks a free one at each start (default: 0). */
  PGFERRY_EMBEDDED_PORT: integer(0, 65535).default(0),
  /** How long a graceful shutdown may take before it turns forceful, in ms (default: 30000). */
  PGFERRY_SHUTDOWN_TIMEOUT_MS: integer(0, 3600000).default(30000),
  /** Lifetime of a login session in hours; logout or disabling the user ends it sooner (default: 12). */
  PGFERRY_SESSION_TTL_HOURS: integer(1, 8760).default(12),
  /** Failed logins per username within the window before it is locked for the rest of it (default: 5). */
  PGFERRY_LOGIN_MAX_ATTEMPTS: integer(1, 10000).default(5),
  /** Failed logins per client IP within the window before it is locked for the rest of it (default: 20). */
  PGFERRY_LOGIN_MAX_ATTEMPTS_PER_IP: integer(1, 100000).default(20),
  /** Length of the failed-login counting window in seconds (default: 900). */
  PGFERRY_LOGIN_WINDOW_SECONDS: integer(1, 86400).default(900),
  /**
   * When true, an admin without a confirmed TOTP second factor who logs in with a password gets
   * a session that reaches only the enrolment routes (and /auth/me, logout) until they enrol.
   * API tokens are not affected (default: false).
   */
  PGFERRY_REQUIRE_2FA_FOR_ADMINS: z
    .enum(['true', 'false', ''])
    .default('false')
    .transform((value) => value === 'true'),
  /** Secure flag of the session cookie: auto sets it on HTTPS requests (default: auto). */
  PGFERRY_COOKIE_SECURE: z.enum(['auto', 'true', 'false']).default('auto'),
  /**
   * When set, GET /metrics answers only requests with `Authorization: Bearer <this token>`
   * (Prometheus: `authorization: {credentials: …}`); its series name jobs and connections.
   */
  // Empty means unset: a Kubernetes Secret key left "" must not stop the process.
  PGFERRY_METRICS_TOKEN: z.preprocess(
    (value) => (typeof value === 'string' && value.trim() === '' ? undefined : value),
    z.string().trim().min(16, 'at least 16 characters (generate one with `openssl rand -hex 32`)').max(500).optional(),
  ),
  /** Days to keep audit-log rows; older ones are pruned by the API process (default: 365). */
  PGFERRY_AUDIT_RETENTION_DAYS: integer(1, 36500).default(365),
  /**
   * Which reverse proxies to believe about the client IP (X-Forwarded-For), used by the login
   * rate limit and the audit log: false, true (any), or comma-separated proxy addresses/CIDRs
   * such as 10.0.0.0/8 (default: false).
   */
  PGFERRY_TRUST_PROXY: z
    .string()
    .trim()
    .default('false')
    .transform((value): boolean | string => (value === 'true' ? true : value === 'false' || value === '' ? false : value)),
  /**
   * Destinations pgferry may connect to on a user's say-so (registered databases, S3
   * endpoints, webhooks, SMTP servers): comma-separated host names, *.domains, IP addresses or
   * CIDRs, each with an optional :port, e.g. `db.internal:5432,10.0.0.0/8,*.example.com`
   * (default: unset, every destination allowed).
   */
  PGFERRY_OUTBOUND_ALLOW: z
    .string()
    .optional()
    .transform((value, context) => {
      try {
        return parseOutboundAllow(value);
      } catch (error) {
        context.addIssue({ code: 'custom', message: `${(error as Error).message} (entries: host, *.domain, IP, CIDR, each with an optional :port)` });
        return z.NEVER;
      }
    }),
  ...oidcConfigFields,
}).superRefine(checkOidcConfig);

export type ConfigInput = z.input<typeof configSchema>;
export type Config = Readonly<z.output<typeof configSchema>>;

/** Variables whose values must never be echoed in messages. */
export const secretVariables = new Set(['DATABASE_URL', 'PGFERRY_ENCRYPTION_KEY', 'REDIS_URL', 'PGFERRY_METRICS_TOKEN', 'PGFERRY_OIDC_CLIENT_SECRET']);

export function decodeKey(value: string): Buffer | undefined {
  if (/^[0-9a-fA-F]{64}$/.test(value)) return Buffer.from(value, 'hex');
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(value)) {
    const bytes = Buffer.from(value, value.includes('-') || value.includes('_') ? 'base64url' : 'base64');
    if (bytes.length === 32) return bytes;
  }
  return undefined;
}
