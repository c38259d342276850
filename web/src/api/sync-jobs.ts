import { type ApiAnswer, type ApiBody, everyOf } from './api-schema.js';
import { resourceHooks, resourceKeys, useItemAction } from './crud.js';
import { runKeys } from './runs.js';

/** A saved sync job as the API answers it, and what creating one takes (generated from the OpenAPI document). */
export type SyncJob = ApiAnswer<'/api/v1/sync-jobs/{id}', 'get'>;
export type SyncJobInput = ApiBody<'/api/v1/sync-jobs', 'post'>;
/** A row of the job list: the job and its latest run. */
export type SyncJobListItem = ApiAnswer<'/api/v1/sync-jobs', 'get'>['items'][number];
export type SyncMode = SyncJob['default_mode'];
/** Per-table options keyed by `schema.table`; `columns` maps a column to its rule text. */
export type TableOption = SyncJob['table_options'][string];

/** The modes in the server's order. */
export const syncModes = everyOf<SyncMode>()(['full', 'append', 'upsert', 'incremental', 'mirror']);
/** Modes that delete or replace destination rows: they need the typed-name confirmation. */
export const destructiveModes: readonly SyncMode[] = ['full', 'mirror'];
export const schemaPolicies = everyOf<SyncJob['schema_policy']>()(['create-missing', 'add-columns', 'strict', 'none']);

const base = '/api/v1/sync-jobs';
export const syncJobKeys = resourceKeys('sync-jobs');
export const { useList: useSyncJobs, useOne: useSyncJob, useSave: useSaveSyncJob, useRemove: useRemoveSyncJob } = resourceHooks<
  SyncJob,
  SyncJobInput,
  SyncJobListItem
>(base, syncJobKeys);

/** Answers the queued run. */
export function useRunSyncJob() {
  return useItemAction<ApiAnswer<'/api/v1/sync-jobs/{id}/run', 'post', 202>>(base, 'run', [[...runKeys.all], [...syncJobKeys.all]]);
}

export function useSetSyncJobEnabled() {
  const enable = useItemAction(base, 'enable', [[...syncJobKeys.all]]);
  const disable = useItemAction(base, 'disable', [[...syncJobKeys.all]]);
  return { enable, disable };
}
