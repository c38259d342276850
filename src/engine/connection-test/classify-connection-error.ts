import type pg from 'pg';

import type { ErrorCode } from '../../errors/error-codes.js';
import { PgferryError } from '../../errors/pgferry-error.js';
import { describeTarget } from '../connection-config.js';

/** The driver/server error codes found on a connection failure (AggregateError included). */
function errorCodesOf(error: unknown): string[] {
  const codes: string[] = [];
  const visit = (value: unknown, depth: number) => {
    if (depth > 4 || typeof value !== 'object' || value === null) return;
    const code = (value as { code?: unknown }).code;
    if (typeof code === 'string') codes.push(code);
    const nested = (value as { errors?: unknown }).errors;
    if (Array.isArray(nested)) for (const item of nested) visit(item, depth + 1);
    visit((value as { cause?: unknown }).cause, depth + 1);
  };
  visit(error, 0);
  return codes;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

const tlsCertificateCodes = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

interface Classified {
  code: ErrorCode;
  cause: string;
  fix: string;
}

function classify(error: unknown, config: pg.ClientConfig, timeoutMs: number | undefined): Classified {
  const codes = errorCodesOf(error);
  const has = (...wanted: string[]) => wanted.some((code) => codes.includes(code));
  const message = messageOf(error);
  const host = config.host ?? 'localhost';
  const port = config.port ?? 5432;
  const usesSsl = config.ssl !== undefined && config.ssl !== false;

  if (has('ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME', 'EAI_FAIL')) {
    return {
      code: 'PGF_CONNECTION_HOST_NOT_FOUND',
      cause: `host name "${host}" does not resolve`,
      fix: 'check the host name for typos and that this machine can resolve it (DNS, /etc/hosts, VPN)',
    };
  }
  if (has('EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENETDOWN')) {
    return {
      code: 'PGF_CONNECTION_HOST_UNREACHABLE',
      cause: `no network route to ${host}`,
      fix: 'check the address, the network/VPN between pgferry and the server, and firewalls or security groups',
    };
  }
  if (has('ECONNREFUSED')) {
    return {
      code: 'PGF_CONNECTION_REFUSED',
      cause: `nothing accepts connections on ${host}:${port}`,
      fix: `check that PostgreSQL is running and listens on port ${port} of that address (listen_addresses in postgresql.conf) and that no firewall rejects it`,
    };
  }
  if (has('ETIMEDOUT') || /timeout expired|timed out|connection timeout/i.test(message)) {
    return {
      code: 'PGF_CONNECTION_TIMEOUT',
      cause: `no answer within ${timeoutMs === undefined ? 'the connect timeout' : timeoutMs < 1000 ? `${timeoutMs} ms` : `${Math.round(timeoutMs / 1000)} s`}`,
      fix: 'check that the host and port are right and reachable from here (a firewall that drops packets looks like this), or raise connect_timeout for a slow network',
    };
  }
  if (/does not support SSL/i.test(message)) {
    return {
      code: 'PGF_CONNECTION_SSL_REFUSED',
      cause: 'the server does not accept SSL connections',
      fix: 'use sslmode=prefer or disable, or enable ssl on the server (ssl = on with a certificate)',
    };
  }
  if (codes.some((code) => tlsCertificateCodes.has(code)) || /certificate/i.test(message)) {
    return {
      code: 'PGF_CONNECTION_SSL_REFUSED',
      cause: `the server's SSL certificate failed verification (${message})`,
      fix: 'use sslmode=require to encrypt without verifying, or give the server a certificate trusted by this machine whose name matches the host',
    };
  }
  if (has('28P01')) {
    return {
      code: 'PGF_CONNECTION_AUTH_FAILED',
      cause: `password authentication failed for user "${config.user ?? ''}"`,
      fix: "check the user name and password (update the connection's password), and that the role has LOGIN",
    };
  }
  if (/client password must be a string|^Password must be a string/i.test(message)) {
    return {
      code: 'PGF_CONNECTION_AUTH_FAILED',
      cause: `the server asks for a password for user "${config.user ?? ''}" and none is set`,
      fix: "set the connection's password",
    };
  }
  if (has('28000')) {
    if (/no encryption/i.test(message) && !usesSsl) {
      return {
        code: 'PGF_CONNECTION_SSL_REQUIRED',
        cause: 'the server accepts this user only over SSL (no pg_hba.conf entry without encryption)',
        fix: 'set sslmode=require (or verify-full with a trusted certificate)',
      };
    }
    return {
      code: 'PGF_CONNECTION_AUTH_FAILED',
      cause: `the server refused the login (${message})`,
      fix: 'check that the role exists and may log in from this address (a pg_hba.conf line for this host, database and user)',
    };
  }
  if (has('3D000')) {
    return {
      code: 'PGF_CONNECTION_DATABASE_NOT_FOUND',
      cause: `database "${config.database ?? ''}" does not exist on ${host}:${port}`,
      fix: 'check the database name (names are case-sensitive), or create it: CREATE DATABASE …',
    };
  }
  if (has('53300')) {
    return {
      code: 'PGF_CONNECTION_TOO_MANY',
      cause: `no connection slot left (${message})`,
      fix: 'close idle sessions, raise max_connections or the role/database CONNECTION LIMIT, or put a pooler (PgBouncer) in front',
    };
  }
  if (has('42501')) {
    return {
      code: 'PGF_CONNECTION_PRIVILEGE',
      cause: message,
      fix: `grant what is missing, e.g. GRANT CONNECT ON DATABASE "${config.database ?? ''}" TO "${config.user ?? ''}"`,
    };
  }
  if (has('57P03')) {
    return {
      code: 'PGF_CONNECTION_FAILED',
      cause: `the server is starting up, shutting down or in recovery (${message})`,
      fix: 'wait for the server to accept connections and try again',
    };
  }
  if (has('ECONNRESET', 'EPIPE') || /terminated unexpectedly/i.test(message)) {
    return {
      code: 'PGF_CONNECTION_FAILED',
      cause: 'the server closed the connection during the handshake',
      fix: 'check that this host and port is a PostgreSQL server (not a proxy or another service) and the server log for the reason',
    };
  }
  return {
    code: 'PGF_CONNECTION_FAILED',
    cause: message,
    fix: 'check the connection settings and the server log',
  };
}

/** Removes a password that a driver or server message might echo (defence in depth). */
function scrub(text: string, password: unknown): string {
  return typeof password === 'string' && password.length >= 4 ? text.split(password).join('[redacted]') : text;
}

/**
 * Turns a failure to connect into a PgferryError with a stable code and a message naming
 * `user@host:port/database` (never the password), the cause and the likely fix. The raw
 * error is kept as `cause` for the server log.
 */
export function classifyConnectionError(error: unknown, config: pg.ClientConfig, timeoutMs?: number): PgferryError {
  if (error instanceof PgferryError) return error;
  const found = classify(error, config, timeoutMs);
  const sqlstate = errorCodesOf(error).find((code) => /^[0-9A-Z]{5}$/.test(code) && /\d/.test(code));
  return new PgferryError(
    found.code,
    scrub(`cannot connect to ${describeTarget(config)}: ${found.cause}; ${found.fix}`, config.password),
    {
      cause: error,
      details: {
        host: config.host ?? 'localhost',
        port: config.port ?? 5432,
        database: config.database ?? null,
        user: config.user ?? null,
        fix: found.fix,
        ...(sqlstate === undefined ? {} : { sqlstate }),
      },
    },
  );
}
