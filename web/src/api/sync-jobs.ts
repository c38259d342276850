import { resourceHooks, resourceKeys, useItemAction } from './crud.js';
import { runKeys } from './runs.js';

export const syncModes = ['full', 'append', 'upsert', 'incremental', 'mirror'] as const;
export type SyncMode = (typeof syncModes)[number];
/** Modes that delete or replace destination rows: they need the typed-name confirmation. */
export const destructiveModes: readonly SyncMode[] = ['full', 'mirror'];
export const schemaPolicies = ['create-missing', 'add-columns', 'strict', 'none'] as const;

/** Per-table options keyed by `schema.table`; `columns` maps a column to its rule text. */
export interface TableOption {
  mode?: SyncMode;
  key?: string[];
  cursor_column?: string;
  where?: string;
  columns?: Record<string, string>;
}

export interface SyncJob {
  id: string;
  name: string;
  description: string | null;
  source_connection_id: string;
  destination_connection_id: string;
  selection: { schemas?: string[]; tables?: string[]; include?: string[]; exclude?: string[] };
  table_options: Record<string, TableOption>;
  default_mode: SyncMode;
  schema_policy: (typeof schemaPolicies)[number];
  parallelism: number;
  split_rows?: number | null;
  verify: boolean;
  copy_owners: boolean;
  copy_grants: boolean;
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

export type SyncJobInput = Omit<SyncJob, 'id' | 'created_at' | 'updated_at' | 'next_fire_at'>;

const base = '/api/v1/sync-jobs';
export const syncJobKeys = resourceKeys('sync-jobs');
export const { useList: useSyncJobs, useOne: useSyncJob, useSave: useSaveSyncJob, useRemove: useRemoveSyncJob } = resourceHooks<
  SyncJob,
  SyncJobInput
>(base, syncJobKeys);

export function useRunSyncJob() {
  return useItemAction<{ id?: string; run_id?: string; run?: { id: string } }>(base, 'run', [[...runKeys.all], [...syncJobKeys.all]]);
}

export function useSetSyncJobEnabled() {
  const enable = useItemAction(base, 'enable', [[...syncJobKeys.all]]);
  const disable = useItemAction(base, 'disable', [[...syncJobKeys.all]]);
  return { enable, disable };
}
