import type { ApiAnswer, ApiBody } from './api-schema.js';
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

/** The modes in the server's order (the type check below keeps this list complete). */
export const syncModes = ['full', 'append', 'upsert', 'incremental', 'mirror'] as const satisfies readonly SyncMode[];
type MissingMode = Exclude<SyncMode, (typeof syncModes)[number]>;
const everyModeListed: MissingMode extends never ? true : false = true;
void everyModeListed;
/** Modes that delete or replace destination rows: they need the typed-name confirmation. */
export const destructiveModes: readonly SyncMode[] = ['full', 'mirror'];
export const schemaPolicies = ['create-missing', 'add-columns', 'strict', 'none'] as const satisfies readonly SyncJob['schema_policy'][];

const base = '/api/v1/sync-jobs';
export const syncJobKeys = resourceKeys('sync-jobs');
export const { useList: useSyncJobs, useOne: useSyncJob, useSave: useSaveSyncJob, useRemove: useRemoveSyncJob } = resourceHooks<
  SyncJob,
  SyncJobInput,
  SyncJobListItem
>(base, syncJobKeys);

export function useRunSyncJob() {
  return useItemAction<{ id?: string; run_id?: string; run?: { id: string } }>(base, 'run', [[...runKeys.all], [...syncJobKeys.all]]);
}

export function useSetSyncJobEnabled() {
  const enable = useItemAction(base, 'enable', [[...syncJobKeys.all]]);
  const disable = useItemAction(base, 'disable', [[...syncJobKeys.all]]);
  return { enable, disable };
}
