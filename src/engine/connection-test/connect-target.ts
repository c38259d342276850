import pg from 'pg';

import { classifyConnectionError } from './classify-connection-error.js';

export interface ConnectTargetOptions {
  /** Upper bound for connecting (DNS + TCP + TLS + authentication), in ms (default: 10000). */
  timeoutMs?: number;
  /** Upper bound for each statement afterwards, client- and server-side, in ms (default: none). */
  statementTimeoutMs?: number;
  /** Aborting while connecting closes the socket and rejects with the signal's reason. */
  signal?: AbortSignal;
}

export const defaultConnectTimeoutMs = 10_000;

/**
 * Opens one client on a target with a bounded connect time; a failure becomes a classified
 * PgferryError (host, port, database and user named; never the password). The caller ends it.
 */
export async function connectTarget(config: pg.ClientConfig, options: ConnectTargetOptions = {}): Promise<pg.Client> {
  // The shorter of the connection's own connect_timeout and the caller's bound wins.
  const timeoutMs = Math.min(config.connectionTimeoutMillis || Infinity, options.timeoutMs ?? defaultConnectTimeoutMs);
  const client = new pg.Client({
    ...config,
    connectionTimeoutMillis: timeoutMs,
    ...(options.statementTimeoutMs === undefined
      ? {}
      : { statement_timeout: options.statementTimeoutMs, query_timeout: options.statementTimeoutMs + 1000 }),
  });
  // Errors after connecting (server restart, idle kill) surface on the next query instead
  // of crashing the process as an unhandled 'error' event.
  client.on('error', () => undefined);
  // end() only sends Terminate, which a silent server never acts on: cut the socket instead.
  const abort = () => {
    const stream = (client as unknown as { connection?: { stream?: { destroy(error?: Error): void } } }).connection?.stream;
    stream?.destroy(new Error('connecting was aborted'));
  };
  options.signal?.addEventListener('abort', abort, { once: true });
  try {
    options.signal?.throwIfAborted();
    await client.connect();
    return client;
  } catch (error) {
    await client.end().catch(() => undefined);
    // An abort is the caller's decision, not a property of the target: rethrow its reason.
    if (options.signal?.aborted) throw options.signal.reason;
    throw classifyConnectionError(error, config, timeoutMs);
  } finally {
    options.signal?.removeEventListener('abort', abort);
  }
}

/** Runs `work` on a fresh client and always ends it. */
export async function withTargetClient<T>(
  config: pg.ClientConfig,
  options: ConnectTargetOptions,
  work: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const client = await connectTarget(config, options);
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}
