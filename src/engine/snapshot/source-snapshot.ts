import type pg from 'pg';

import type { QueryCanceller } from '../sql/cancel-on-abort.js';
import { quoteLiteral } from '../sql/quote-ident.js';
import { openSession } from '../sql/session-settings.js';

/**
 * One consistent view of the source for a whole run: a coordinator session holds a
 * REPEATABLE READ, READ ONLY transaction and exports its snapshot; every reader imports it
 * with SET TRANSACTION SNAPSHOT. The coordinator stays open until `close()` so readers
 * started late (retries, chunks) still see the same instant. With a `canceller`, the
 * coordinator and every reader are watched: abort cancels their running statements on the server.
 */
export class SourceSnapshot {
  readonly id: string;
  readonly coordinator: pg.Client;
  readonly #config: pg.ClientConfig;
  readonly #canceller: QueryCanceller | undefined;

  private constructor(config: pg.ClientConfig, coordinator: pg.Client, id: string, canceller: QueryCanceller | undefined) {
    this.#config = config;
    this.coordinator = coordinator;
    this.id = id;
    this.#canceller = canceller;
  }

  /**
   * With `importId`, the coordinator imports a snapshot exported elsewhere (a replication
   * slot's, so a follow's copy ends exactly where its stream starts) instead of exporting
   * its own; the exporting session must stay open until `open` has returned.
   */
  static async open(config: pg.ClientConfig, options: { canceller?: QueryCanceller | undefined; importId?: string | undefined } = {}): Promise<SourceSnapshot> {
    const coordinator = await openSession(config, 'source', 'pgferry snapshot');
    options.canceller?.watch(coordinator, config, { readOnly: true });
    try {
      await coordinator.query('BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY');
      if (options.importId !== undefined) {
        await coordinator.query(`SET TRANSACTION SNAPSHOT ${quoteLiteral(options.importId)}`);
        return new SourceSnapshot(config, coordinator, options.importId, options.canceller);
      }
      const result = await coordinator.query<{ id: string }>('SELECT pg_export_snapshot() AS id');
      return new SourceSnapshot(config, coordinator, result.rows[0]!.id, options.canceller);
    } catch (error) {
      await coordinator.end().catch(() => undefined);
      throw error;
    }
  }

  /** A new session reading as of the snapshot (inside an open read-only transaction). */
  async openReader(applicationName = 'pgferry reader'): Promise<pg.Client> {
    const reader = await openSession(this.#config, 'source', applicationName);
    this.#canceller?.watch(reader, this.#config, { readOnly: true });
    try {
      await reader.query('BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY');
      // The snapshot id comes from the server; it is a literal here because SET takes no parameters.
      await reader.query(`SET TRANSACTION SNAPSHOT ${quoteLiteral(this.id)}`);
      return reader;
    } catch (error) {
      await reader.end().catch(() => undefined);
      throw error;
    }
  }

  async close(): Promise<void> {
    await this.coordinator.query('COMMIT').catch(() => undefined);
    await this.coordinator.end().catch(() => undefined);
  }
}
