import type { StoreDb } from './repository-helpers.js';
import type { RunStatus } from './store-types.js';

export interface LastRun {
  id: string;
  status: RunStatus;
  finished_at: Date | null;
}

/**
 * The latest run (by queue time, whatever its status) of each given job, for job lists.
 * One query per page of jobs; jobs that never ran are absent from the map.
 */
export async function lastRunsOfJobs(db: StoreDb, column: 'sync_job_id' | 'backup_job_id', jobIds: string[]): Promise<Map<string, LastRun>> {
  if (jobIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('runs')
    .select([column, 'id', 'status', 'finished_at'])
    .distinctOn(column)
    .where(column, 'in', jobIds)
    .orderBy(column)
    .orderBy('queued_at', 'desc')
    .orderBy('id', 'desc')
    .execute();
  const out = new Map<string, LastRun>();
  for (const row of rows) {
    const jobId = row[column];
    if (jobId) out.set(jobId, { id: row.id, status: row.status, finished_at: row.finished_at });
  }
  return out;
}
