import type { ApiAnswer } from './api-schema.js';
import { resourceHooks, resourceKeys, useItemAction } from './crud.js';
import { runKeys } from './runs.js';

export interface Retention {
  keep_last?: number;
  daily?: number;
  weekly?: number;
  monthly?: number;
}

export interface Verification {
  /** Restore each new backup into a scratch database and compare. */
  drill?: boolean;
  drill_every?: number;
}

export interface BackupJob {
  id: string;
  name: string;
  description: string | null;
  connection_id: string;
  storage_ids: string[];
  all_databases: boolean;
  include_globals: boolean;
  format: 'native' | 'pg_dump';
  selection: { schemas?: string[]; tables?: string[] };
  compression: 'gzip' | 'zstd' | 'none';
  encrypt: boolean;
  parallelism: number;
  retention: Retention;
  verification: Verification;
  cron: string | null;
  timezone: string;
  enabled: boolean;
  next_fire_at: string | null;
  retry_max: number;
  retry_backoff_s: number;
  timeout_s: number | null;
  channel_ids?: string[];
  created_at: string;
  updated_at: string;
}

export type BackupJobInput = Omit<BackupJob, 'id' | 'created_at' | 'updated_at' | 'next_fire_at'>;
/** A row of the job list: the job and its latest run (generated from the OpenAPI document). */
export type BackupJobListItem = BackupJob & { last_run: ApiAnswer<'/api/v1/backup-jobs', 'get'>['items'][number]['last_run'] };

const base = '/api/v1/backup-jobs';
export const backupJobKeys = resourceKeys('backup-jobs');
export const { useList: useBackupJobs, useOne: useBackupJob, useSave: useSaveBackupJob, useRemove: useRemoveBackupJob } =
  resourceHooks<BackupJob, BackupJobInput, BackupJobListItem>(base, backupJobKeys);

export function useRunBackupJob() {
  return useItemAction<{ id?: string; run_id?: string; run?: { id: string } }>(base, 'run', [[...runKeys.all], [...backupJobKeys.all]]);
}

export function useSetBackupJobEnabled() {
  const enable = useItemAction(base, 'enable', [[...backupJobKeys.all]]);
  const disable = useItemAction(base, 'disable', [[...backupJobKeys.all]]);
  return { enable, disable };
}
