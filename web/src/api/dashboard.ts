import { useBackupJobs } from './backup-jobs.js';
import { useBackups } from './backups.js';
import { useRuns } from './runs.js';
import { useStorages } from './storages.js';
import { useSyncJobs } from './sync-jobs.js';

/** The dashboard is built from the public list endpoints; no private summary route. */
export function useDashboardData() {
  return {
    runs: useRuns({ limit: 200, from: new Date(Date.now() - 14 * 86_400_000).toISOString().slice(0, 13) + ':00:00Z' }, { refetchInterval: 15_000 }),
    running: useRuns({ limit: 50, status: 'running' }, { refetchInterval: 5_000 }),
    syncJobs: useSyncJobs({ page_size: 200, enabled: 'true', sort: 'next_fire_at' }),
    backupJobs: useBackupJobs({ page_size: 200 }),
    backups: useBackups({ limit: 500 }),
    storages: useStorages({ page_size: 500 }),
  };
}
