import type { ApiAnswer, ApiBody } from './api-schema.js';
import { resourceHooks, resourceKeys, useItemAction } from './crud.js';
import { runKeys } from './runs.js';

/** A saved backup job as the API answers it, and what creating one takes (generated from the OpenAPI document). */
export type BackupJob = ApiAnswer<'/api/v1/backup-jobs/{id}', 'get'>;
export type BackupJobInput = ApiBody<'/api/v1/backup-jobs', 'post'>;
/** A row of the job list: the job and its latest run. */
export type BackupJobListItem = ApiAnswer<'/api/v1/backup-jobs', 'get'>['items'][number];

const base = '/api/v1/backup-jobs';
export const backupJobKeys = resourceKeys('backup-jobs');
export const { useList: useBackupJobs, useOne: useBackupJob, useSave: useSaveBackupJob, useRemove: useRemoveBackupJob } =
  resourceHooks<BackupJob, BackupJobInput, BackupJobListItem>(base, backupJobKeys);

/** Answers the queued run. */
export function useRunBackupJob() {
  return useItemAction<ApiAnswer<'/api/v1/backup-jobs/{id}/run', 'post', 202>>(base, 'run', [[...runKeys.all], [...backupJobKeys.all]]);
}

export function useSetBackupJobEnabled() {
  const enable = useItemAction(base, 'enable', [[...backupJobKeys.all]]);
  const disable = useItemAction(base, 'disable', [[...backupJobKeys.all]]);
  return { enable, disable };
}
