import { sql } from 'kysely';

import { type StoreDb } from './repository-helpers.js';
import { terminalRunStatuses } from './run-statuses.js';

export type RunLogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface RunLogLine {
  level: RunLogLevel;
  message: string;
  table?: string | null;
  data?: unknown;
  at?: Date;
}

export interface StoredRunLog {
  id: string;
  at: Date;
  level: RunLogLevel;
  message: string;
  table_name: string | null;
  data: unknown;
}

export async function appendRunLogs(db: StoreDb, runId: string, lines: RunLogLine[]): Promise<void> {
  if (lines.length === 0) return;
  await db
    .insertInto('run_logs')
    .values(
      lines.map((line) => ({
        run_id: runId,
        at: line.at ?? new Date(),
        level: line.level,
        message: line.message.slice(0, 10_000),
        table_name: line.table ?? null,
        data: line.data === undefined ? null : JSON.stringify(line.data),
      })),
    )
    .execute();
}

export interface ListRunLogsQuery {
  after_id?: string | undefined;
  limit: number;
  level?: RunLogLevel | undefined;
}

const levelOrder: RunLogLevel[] = ['debug', 'info', 'warn', 'error'];

/** Log lines in order, after `after_id` (for tailing), at or above `level`. */
export async function listRunLogs(db: StoreDb, runId: string, query: ListRunLogsQuery): Promise<StoredRunLog[]> {
  let select = db.selectFrom('run_logs').select(['id', 'at', 'level', 'message', 'table_name', 'data']).where('run_id', '=', runId);
  if (query.after_id) select = select.where('id', '>', query.after_id);
  if (query.level) select = select.where('level', 'in', levelOrder.slice(levelOrder.indexOf(query.level)));
  const rows = await select.orderBy('id').limit(query.limit).execute();
  return rows.map((row) => ({ ...row, id: String(row.id) }));
}

/**
 * Deletes finished runs (their log lines cascade) and log lines older than `days`, in batches
 * so a large backlog never holds long locks. Returns how many runs and lines went.
 */
export async function pruneRunHistory(db: StoreDb, days: number, batch = 5000): Promise<{ runs: number; logs: number }> {
  let runs = 0;
  let logs = 0;
  for (;;) {
    const deleted = await sql`
      DELETE FROM run_logs WHERE id IN (
        SELECT id FROM run_logs WHERE at < now() - make_interval(days => ${days}) LIMIT ${batch})`.execute(db);
    const count = Number(deleted.numAffectedRows ?? 0);
    logs += count;
    if (count < batch) break;
  }
  for (;;) {
    const deleted = await sql`
      DELETE FROM runs WHERE id IN (
        SELECT id FROM runs WHERE status = ANY(${[...terminalRunStatuses]}::text[])
          AND finished_at < now() - make_interval(days => ${days})
          AND NOT EXISTS (SELECT 1 FROM backups WHERE backups.run_id = runs.id)
        LIMIT ${batch})`.execute(db);
    const count = Number(deleted.numAffectedRows ?? 0);
    runs += count;
    if (count < batch) break;
  }
  return { runs, logs };
}
