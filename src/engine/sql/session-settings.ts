import pg from 'pg';

import { classifyConnectionError } from '../connection-test/classify-connection-error.js';
import { quoteLiteral } from './quote-ident.js';

/**
 * Session settings on every connection that reads, writes or checksums data, so that text
 * renderings (dates, intervals, floats, bytea) are identical on both ends and every name
 * in generated SQL is schema-qualified (`search_path = ''`).
 */
export const commonSessionSettings: Readonly<Record<string, string>> = {
  DateStyle: 'ISO',
  IntervalStyle: 'postgres',
  TimeZone: 'UTC',
  extra_float_digits: '3',
  client_encoding: 'UTF8',
  standard_conforming_strings: 'on',
  search_path: '',
  bytea_output: 'hex',
  // A run holds its snapshot transaction open while tables copy; role or database defaults
  // for these timeouts would kill it midway (pg_dump sets them to 0 for the same reason).
  statement_timeout: '0',
  idle_in_transaction_session_timeout: '0',
};

export type SessionRole = 'source' | 'destination';

/**
 * Source sessions also get `row_security = off` (like pg_dump: fail loudly instead of
 * silently copying only the rows a policy shows) and read-only transactions by default, so
 * a filter or rule can never write even outside the snapshot transaction.
 */
export function sessionSettings(role: SessionRole): Record<string, string> {
  if (role === 'source') {
    return { ...commonSessionSettings, row_security: 'off', default_transaction_read_only: 'on' };
  }
  // Function bodies may name objects created later in the same pre-data phase.
  return { ...commonSessionSettings, check_function_bodies: 'off' };
}

/** `SET` statements for `sessionSettings(role)` (the values are fixed strings, not user input). */
export function sessionSettingsSql(role: SessionRole): string {
  return Object.entries(sessionSettings(role))
    .map(([name, value]) => `SET ${name} = ${quoteLiteral(value)}`)
    .join('; ');
}

/** Applies the settings to an open client. */
export async function applySessionSettings(client: pg.Client, role: SessionRole): Promise<void> {
  await client.query(sessionSettingsSql(role));
}

/** Opens a dedicated client with the session settings of `role` applied. */
export async function openSession(config: pg.ClientConfig, role: SessionRole, applicationName?: string): Promise<pg.Client> {
  const client = new pg.Client({ ...config, application_name: applicationName ?? config.application_name ?? 'pgferry' });
  // A dropped connection must surface as a failed query, not as an unhandled 'error' event.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    // A stable code and `user@host:port/database` in the message, never the password.
    throw classifyConnectionError(error, config);
  }
  try {
    await applySessionSettings(client, role);
  } catch (error) {
    await client.end().catch(() => undefined);
    throw error;
  }
  return client;
}
