import { type Kysely, sql } from 'kysely';

import type { Logger } from '../../logger.js';
import { pruneRunHistory } from '../../store/run-log-repository.js';
import { reapDeadRuns } from '../../store/run-repository.js';
import type { RunRow, StoreDatabase } from '../../store/store-types.js';
import { queueRetryIfAllowed } from '../run-retry.js';
import type { WorkerEvents } from './worker-events.js';

export interface WorkerMaintenanceOptions {
  db: Kysely<StoreDatabase>;
  logger: Logger;
  events: WorkerEvents;
  /** A running run whose heartbeat is older than this is failed. */
  deadAfterMs: number;
  /** Runs and log lines older than this many days are pruned. */
  logRetentionDays: number;
  /** Called after a run of a dead worker was failed (notifications hang here). */
  runFinished?: ((run: RunRow) => Promise<void>) | undefined;
  /** Extra work of the retention pass (e.g. overdue-backup notices). */
  extra?: (() => Promise<void>) | undefined;
}

/** The work no single run owns: failing runs of dead workers, and pruning old history. */
export class WorkerMaintenance {
  constructor(private readonly options: WorkerMaintenanceOptions) {}

  /** Fails every run whose worker stopped heartbeating, with its retry, in one transaction. */
  async reapDeadRuns(): Promise<void> {
    const { db, logger, events } = this.options;
    const reaped = await db.transaction().execute(async (tx) => {
      const rows = await reapDeadRuns(tx, this.options.deadAfterMs);
      for (const row of rows) {
        await tx.insertInto('run_logs').values({ run_id: row.id, level: 'error', message: row.error_message ?? 'worker lost' }).execute();
        await queueRetryIfAllowed(tx, row, logger);
      }
      return rows;
    });
    for (const row of reaped) {
      logger.warn({ runId: row.id, deadWorker: row.worker_id }, `run ${row.id} failed: its worker stopped heartbeating`);
      events.emit('run:reaped', { run: row });
      await this.options.runFinished?.(row).catch(() => undefined);
    }
  }

  /** Retention of runs and log lines, once per interval across all workers (advisory lock). */
  async retention(): Promise<void> {
    const { db, logger, logRetentionDays } = this.options;
    await db.connection().execute(async (connection) => {
      const locked = await sql<{ locked: boolean }>`SELECT pg_try_advisory_lock(hashtext('pgferry.maintenance')) AS locked`.execute(connection);
      if (!locked.rows[0]?.locked) return;
      try {
        const pruned = await pruneRunHistory(connection, logRetentionDays);
        if (pruned.runs + pruned.logs > 0) logger.info(pruned, `pruned run history older than ${logRetentionDays} days`);
        await this.options.extra?.();
      } finally {
        await sql`SELECT pg_advisory_unlock(hashtext('pgferry.maintenance'))`.execute(connection);
      }
    });
  }
}
