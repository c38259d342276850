import pg from 'pg';

/**
 * What abort means for a session: the statement it is running is cancelled on the server.
 * Closing the socket is not enough — a backend that sends nothing (a filtered read that
 * matches no row yet, an index build, a lock wait) only notices a closed socket when it next
 * writes, and may run for minutes after the run showed `cancelled`.
 *
 * Each watched client whose query is in flight when the signal fires gets
 * `pg_cancel_backend(pid)` from a second, short connection with the same settings (same role,
 * so no extra privilege is needed). An idle client is left alone: its owner's next statement
 * (rolling back, restoring foreign keys) must not be cancelled by a late request. The owner
 * still ends its clients; `close()` waits until every cancel request sent has been answered.
 */
export interface QueryCanceller {
  /**
   * Watches `client` (opened with `config`) until it ends or is forgotten; returns it. A
   * `readOnly` session (a source snapshot) has nothing to clean up after abort but its
   * transaction's end: every other statement it starts after abort is cancelled too, so a
   * cancel that fell between two statements is not lost.
   */
  watch(client: pg.Client, config: pg.ClientConfig, options?: { readOnly?: boolean }): pg.Client;
  /** Stops watching `client` (a session whose next statements must finish even after abort). */
  forget(client: pg.Client): void;
  /** Stops listening to the signal and waits for the cancel requests already sent. */
  close(): Promise<void>;
}

/** How long a cancel request may take to connect when the config sets no timeout (ms). */
const defaultConnectTimeoutMs = 10_000;

/** Whether pg has a statement of `client` on the wire (pg's own bookkeeping; unknown counts as busy). */
function busy(client: pg.Client): boolean {
  const internal = client as unknown as { _activeQuery?: unknown; _ended?: unknown; readyForQuery?: unknown };
  if (internal._ended === true) return false;
  if ('_activeQuery' in internal) return Boolean(internal._activeQuery);
  return internal.readyForQuery !== true;
}

/**
 * Asks the server to cancel the statement running on backend `pid`, from a new connection
 * made with `config`. Resolves to whether a signal was sent; never throws (abort handling
 * must not fail because the server is unreachable — the socket is closed anyway).
 */
export async function cancelBackend(config: pg.ClientConfig, pid: number): Promise<boolean> {
  const canceller = new pg.Client({
    ...config,
    application_name: 'pgferry cancel',
    connectionTimeoutMillis: config.connectionTimeoutMillis ?? defaultConnectTimeoutMs,
  });
  canceller.on('error', () => undefined);
  try {
    await canceller.connect();
    // Only a backend of this role in this database: a stray pid (a pooler's made-up one)
    // cannot cancel somebody else's work.
    const result = await canceller.query<{ cancelled: boolean }>(
      `SELECT pg_catalog.pg_cancel_backend(pid) AS cancelled FROM pg_catalog.pg_stat_activity
        WHERE pid = $1 AND usename = session_user AND datname = pg_catalog.current_database()`,
      [pid],
    );
    return result.rows[0]?.cancelled === true;
  } catch {
    return false;
  } finally {
    await canceller.end().catch(() => undefined);
  }
}

/** A canceller bound to `signal` (a no-op one without a signal). */
export function cancelOnAbort(signal: AbortSignal | undefined): QueryCanceller {
  const watched = new Map<pg.Client, { config: pg.ClientConfig; forget: () => void }>();
  const pending = new Set<Promise<boolean>>();
  const cancel = (client: pg.Client, config: pg.ClientConfig) => {
    const pid = (client as unknown as { processID?: number | null }).processID;
    if (typeof pid !== 'number' || !busy(client)) return;
    const request = cancelBackend(config, pid);
    pending.add(request);
    void request.finally(() => pending.delete(request));
  };
  const readOnly = new Set<pg.Client>();
  const cancelAll = () => {
    for (const [client, { config }] of watched) {
      cancel(client, config);
      if (readOnly.has(client)) cancelLaterStatements(client, config);
    }
  };
  /** After abort, a read-only session's next statements (but ending its transaction) are cancelled as they start. */
  const cancelLaterStatements = (client: pg.Client, config: pg.ClientConfig) => {
    const original = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
      const first = args[0] as { text?: unknown } | string | undefined;
      const text = typeof first === 'string' ? first : typeof first?.text === 'string' ? first.text : '';
      const result = original(...args);
      if (!/^\s*(COMMIT|ROLLBACK|END|ABORT)\b/i.test(text) && watched.has(client)) setImmediate(() => cancel(client, config));
      return result;
    };
  };
  signal?.addEventListener('abort', cancelAll, { once: true });
  return {
    watch(client, config, options = {}) {
      if (signal === undefined || watched.has(client)) return client;
      const forget = () => {
        watched.delete(client);
        readOnly.delete(client);
      };
      client.once('end', forget);
      watched.set(client, { config, forget: () => client.removeListener('end', forget) });
      if (options.readOnly) {
        readOnly.add(client);
        if (signal.aborted) cancelLaterStatements(client, config);
      }
      return client;
    },
    forget(client) {
      watched.get(client)?.forget();
      watched.delete(client);
      readOnly.delete(client);
    },
    async close() {
      signal?.removeEventListener('abort', cancelAll);
      for (const { forget } of watched.values()) forget();
      watched.clear();
      readOnly.clear();
      await Promise.allSettled([...pending]);
    },
  };
}
