import type { FollowJobInput } from '../../api/follow-jobs.js';
import type { Errors } from '../../lib/use-form.js';
import { type SyncJobFormValues, emptySyncJob, toSyncJobInput, validateSyncJob } from '../sync-jobs/sync-job-validation.js';

// A continuous-sync job is a sync job's definition without schedule or mode: its form reuses the
// sync job form's values, checks and mapping, then keeps only what a follow takes.

export interface FollowJobFormValues extends SyncJobFormValues {
  /** MiB in the form, bytes in the API. */
  retained_mib_alert: number | '';
  lag_seconds_alert: number | '';
}

export const emptyFollowJob: FollowJobFormValues = { ...emptySyncJob, default_mode: 'full', retained_mib_alert: 1024, lag_seconds_alert: '' };

export function validateFollowJob(values: FollowJobFormValues): Errors {
  const errors = validateSyncJob(values);
  if (values.retained_mib_alert !== '' && !(Number.isInteger(values.retained_mib_alert) && values.retained_mib_alert >= 1)) errors.retained_mib_alert = 'validation.positive';
  if (values.lag_seconds_alert !== '' && !(Number.isInteger(values.lag_seconds_alert) && values.lag_seconds_alert >= 1)) errors.lag_seconds_alert = 'validation.positive';
  return errors;
}

export function toFollowJobInput(values: FollowJobFormValues): FollowJobInput {
  const sync = toSyncJobInput(values);
  // A follow has no per-table mode or cursor: it copies every table once, then streams.
  const tableOptions = Object.fromEntries(Object.entries(sync.table_options ?? {}).map(([table, { mode: _mode, cursor_column: _cursor, ...option }]) => [table, option]));
  return {
    name: sync.name,
    description: sync.description ?? null,
    source_connection_id: sync.source_connection_id,
    destination_connection_id: sync.destination_connection_id,
    selection: sync.selection ?? {},
    table_options: tableOptions,
    schema_policy: sync.schema_policy ?? 'create-missing',
    parallelism: sync.parallelism ?? 2,
    copy_owners: sync.copy_owners ?? false,
    copy_grants: sync.copy_grants ?? false,
    enabled: sync.enabled ?? true,
    channel_ids: sync.channel_ids ?? [],
    retained_bytes_alert: values.retained_mib_alert === '' ? null : values.retained_mib_alert * 1024 * 1024,
    lag_seconds_alert: values.lag_seconds_alert === '' ? null : values.lag_seconds_alert,
  };
}
