import { createHash } from 'node:crypto';
import type { Socket } from 'node:net';

import pg from 'pg';

import { PgferryError } from '../../errors/pgferry-error.js';
import type { Queryable } from '../catalog/catalog-types.js';
import { describeTarget } from '../connection-config.js';
import { classifyConnectionError } from '../connection-test/classify-connection-error.js';
import { cancelOnAbort } from '../sql/cancel-on-abort.js';
import { applyChecksumSettings } from './checksum-settings.js';
import type { SqlStatement } from './checksum-sql.js';
import { safeServerReason } from '../sql/safe-server-reason.js';

export type Side = 'source' | 'destination';

/**
 * One database's side of a comparison: a dedicated connection with the checksum settings,
 * inside one `REPEATABLE READ, READ ONLY` transaction, so every range checksum of a run
 * sees the same snapshot and a user filter cannot write. Counts the bytes on its socket.
 */
export interface ChecksumSession {
  readonly side: Side;
  readonly target: string;
  query<R extends pg.QueryResultRow>(statement: SqlStatement): Promise<R[]>;
  /** The same connection for catalog readers that take `(text, values)`. */
  readonly queryable: Queryable;
  /** Bytes received plus bytes sent on this session's socket so far. */
  bytesTransferred(): number;
  close(): Promise<void>;
}

export interface OpenChecksumSessionOptions {
  side: Side;
  /** Abort cancels the running statement on the server (`pg_cancel_backend`) and fails the call. */
  signal?: AbortSignal | undefined;
}

function socketOf(client: pg.Client): Partial<Socket> {
  return client.connection.stream as Partial<Socket>;
}

function cancelled(side: Side, target: string): PgferryError {
  return new PgferryError('PGF_RUN_CANCELLED', `the comparison was cancelled while reading the ${side} (${target})`);
}

/** Turns a driver error into one that names the side and the database, never the password. */
export function translateSessionError(error: unknown, side: Side, target: string, signal?: AbortSignal): unknown {
  if (error instanceof PgferryError) return error;
  if (signal?.aborted) return cancelled(side, target);
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  if (code === '42501' && /row-level security/i.test(message)) {
    return new PgferryError(
      'PGF_CONNECTION_PRIVILEGE',
      `the ${side} (${target}) has row-level security on a compared table and the role cannot bypass it; ` +
        'connect as the table owner or a role with BYPASSRLS so that every row is compared',
      { cause: error },
    );
  }
  // A statement the server refused (SQLSTATE outside connection and operator classes) only
  // concerns the table being compared; the caller records it and goes on.
  if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && !code.startsWith('08') && !code.startsWith('57')) {
    // A filter or a column's cast can fail on a value: the message users see leaves it out.
    return new PgferryError('PGF_COMPARE_QUERY_FAILED', `a checksum query on the ${side} (${target}) failed: ${safeServerReason(error)}`, {
      cause: error,
      details: { sqlstate: code, side },
    });
  }
  return new PgferryError('PGF_CONNECTION_FAILED', `the ${side} database (${target}) failed during the comparison: ${message}`, {
    cause: error,
    details: { side },
  });
}

export async function openChecksumSession(config: pg.ClientConfig, options: OpenChecksumSessionOptions): Promise<ChecksumSession> {
  const { side, signal } = options;
  const target = describeTarget(config);
  if (signal?.aborted) throw cancelled(side, target);
  const client = new pg.Client({ ...config, application_name: config.application_name ?? 'pgferry diff' });
  // An idle-connection error (server restart) must not crash the process; the next query reports it.
  client.on('error', () => undefined);
  try {
    await client.connect();
    await applyChecksumSettings(client, side);
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY');
  } catch (error) {
    await client.end().catch(() => undefined);
    throw classifyConnectionError(error, config);
  }
  // Abort: the server is asked to cancel the running statement (see cancelOnAbort).
  const canceller = cancelOnAbort(signal);
  canceller.watch(client, config);

  let closed = false;
  const run = async <R extends pg.QueryResultRow>(text: string, values: unknown[] | undefined, prepared: boolean): Promise<pg.QueryResult<R>> => {
    if (signal?.aborted) throw cancelled(side, target);
    try {
      // Catalog statements repeat for every table: as named prepared statements their text
      // crosses the network once per session. Checksum statements stay unnamed so that each
      // range gets a plan for its own bounds.
      const name = prepared && values !== undefined && values.length > 0 ? `pgferry_${createHash('sha1').update(text).digest('hex').slice(0, 16)}` : undefined;
      return await client.query<R>(name === undefined ? { text, values } : { name, text, values });
    } catch (error) {
      throw translateSessionError(error, side, target, signal);
    }
  };
  const queryable: Queryable = { query: (text, values) => run(text, values, true) };
  return {
    side,
    target,
    queryable,
    async query<R extends pg.QueryResultRow>(statement: SqlStatement): Promise<R[]> {
      return (await run<R>(statement.text, statement.values, false)).rows;
    },
    bytesTransferred(): number {
      const socket = socketOf(client);
      return (socket.bytesRead ?? 0) + (socket.bytesWritten ?? 0);
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      // Read-only: ending the session without COMMIT loses nothing.
      await client.end().catch(() => undefined);
      await canceller.close();
    },
  };
}
