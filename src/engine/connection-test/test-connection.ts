import { performance } from 'node:perf_hooks';

import type pg from 'pg';

import { isPgferryError } from '../../errors/pgferry-error.js';
import { describeTarget } from '../connection-config.js';
import { connectTarget, defaultConnectTimeoutMs } from './connect-target.js';
import {
  type DatabasePrivileges,
  type DestinationSchemaCheck,
  type RoleCheck,
  type SourceSchemaCheck,
  checkDestinationPrivileges,
  checkSourcePrivileges,
  databasePrivilegesQuery,
} from './privilege-checks.js';

export interface TestConnectionOptions {
  /** Schemas to check privileges on (default: every user schema). */
  schemas?: string[];
  /** Which role the connection will play; `ok` also requires it (default: report both, require neither). */
  as?: 'source' | 'destination';
  /** Bound on connecting and on each check query, in ms (default: 10000). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface ConnectionTestResult {
  /** Reached, logged in, and (with `as`) has the privileges of that role. */
  ok: boolean;
  /** `user@host:port/database`. */
  target: string;
  connect_ms: number | null;
  /** Median round trip of `SELECT 1`. */
  latency_ms: number | null;
  server_version: string | null;
  server_version_num: number | null;
  database_size_bytes: number | null;
  current_user: string | null;
  is_superuser: boolean | null;
  in_recovery: boolean | null;
  source: RoleCheck<SourceSchemaCheck> | null;
  destination: (RoleCheck<DestinationSchemaCheck> & { can_create_schema: boolean; can_create_temp: boolean }) | null;
  error: { code: string; message: string; details?: Record<string, unknown> } | null;
}

const emptyResult = (target: string): ConnectionTestResult => ({
  ok: false,
  target,
  connect_ms: null,
  latency_ms: null,
  server_version: null,
  server_version_num: null,
  database_size_bytes: null,
  current_user: null,
  is_superuser: null,
  in_recovery: null,
  source: null,
  destination: null,
  error: null,
});

const round = (ms: number) => Math.round(ms * 100) / 100;

async function measureLatency(client: pg.Client): Promise<number> {
  const samples: number[] = [];
  for (let index = 0; index < 3; index += 1) {
    const started = performance.now();
    await client.query('SELECT 1');
    samples.push(performance.now() - started);
  }
  return round(samples.sort((a, b) => a - b)[1] ?? 0);
}

/**
 * Connects with a bounded timeout and reports what a DBA wants to know before saving or
 * using a connection. Never throws for a target problem: the failure is in `error`, with a
 * stable code and a message naming the target (never the password).
 */
export async function testConnection(config: pg.ClientConfig, options: TestConnectionOptions = {}): Promise<ConnectionTestResult> {
  const result = emptyResult(describeTarget(config));
  const timeoutMs = options.timeoutMs ?? defaultConnectTimeoutMs;
  const started = performance.now();
  let client: pg.Client;
  try {
    client = await connectTarget(config, {
      timeoutMs,
      statementTimeoutMs: timeoutMs,
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } catch (error) {
    if (!isPgferryError(error)) throw error;
    result.error = { code: error.code, message: error.message, ...(error.details ? { details: error.details } : {}) };
    return result;
  }
  try {
    result.connect_ms = round(performance.now() - started);
    result.latency_ms = await measureLatency(client);
    const info = (
      await client.query<{ version: string; version_num: string; size: string | null }>(
        `SELECT current_setting('server_version') AS version, current_setting('server_version_num') AS version_num,
                pg_database_size(current_database()) AS size`,
      )
    ).rows[0];
    result.server_version = info?.version ?? null;
    result.server_version_num = info ? Number(info.version_num) : null;
    result.database_size_bytes = info?.size == null ? null : Number(info.size);

    const database = (await client.query<DatabasePrivileges>(databasePrivilegesQuery.text)).rows[0] as DatabasePrivileges;
    result.current_user = database.user;
    result.is_superuser = database.is_superuser;
    result.in_recovery = database.in_recovery;
    result.source = await checkSourcePrivileges(client, options.schemas, database);
    const destination = await checkDestinationPrivileges(client, options.schemas, database);
    result.destination = { ...destination, can_create_schema: database.can_create_schema, can_create_temp: database.can_create_temp };
    result.ok = options.as === undefined ? true : (options.as === 'source' ? result.source.ok : result.destination.ok);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    result.error = {
      code: 'PGF_CONNECTION_FAILED',
      message: `connected to ${result.target}, but checking it failed: ${message}; check the server log`,
    };
    result.ok = false;
  } finally {
    await client.end().catch(() => undefined);
  }
  return result;
}
