import type { BackupJob, BackupJobInput } from '../../api/backup-jobs.js';
import { checkCron } from '../../lib/cron.js';
import type { Errors } from '../../lib/use-form.js';

export interface BackupJobFormValues extends Record<string, unknown> {
  name: string;
  description: string;
  connection_id: string;
  storage_ids: string[];
  all_databases: boolean;
  include_globals: boolean;
  format: BackupJob['format'];
  schemas: string[];
  compression: BackupJob['compression'];
  encrypt: boolean;
  parallelism: number | '';
  keep_last: number | '';
  daily: number | '';
  weekly: number | '';
  monthly: number | '';
  drill: boolean;
  drill_every: number | '';
  /** Physical only: every Nth run is a full backup, the others incremental (empty: every run full). */
  incremental_full_every: number | '';
  cron: string | null;
  timezone: string;
  enabled: boolean;
  retry_max: number | '';
  retry_backoff_s: number | '';
  timeout_s: number | '';
  channel_ids: string[];
}

export const emptyBackupJob: BackupJobFormValues = {
  name: '',
  description: '',
  connection_id: '',
  storage_ids: [],
  all_databases: false,
  include_globals: false,
  format: 'native',
  schemas: [],
  compression: 'gzip',
  encrypt: false,
  parallelism: 2,
  keep_last: 7,
  daily: '',
  weekly: '',
  monthly: '',
  drill: false,
  drill_every: 1,
  incremental_full_every: '',
  cron: '0 2 * * *',
  timezone: 'UTC',
  enabled: true,
  retry_max: 1,
  retry_backoff_s: 300,
  timeout_s: '',
  channel_ids: [],
};

const opt = (value: number | undefined | null): number | '' => (value === undefined || value === null ? '' : value);

export function fromBackupJob(job: BackupJob): BackupJobFormValues {
  return {
    name: job.name,
    description: job.description ?? '',
    connection_id: job.connection_id,
    storage_ids: job.storage_ids,
    all_databases: job.all_databases,
    include_globals: job.include_globals,
    format: job.format,
    schemas: job.selection.schemas ?? [],
    compression: job.compression,
    encrypt: job.encrypt,
    parallelism: job.parallelism,
    keep_last: opt(job.retention.keep_last),
    daily: opt(job.retention.daily),
    weekly: opt(job.retention.weekly),
    monthly: opt(job.retention.monthly),
    drill: job.verification.drill ?? false,
    drill_every: opt(job.verification.drill_every) || 1,
    incremental_full_every: opt(job.incremental_full_every),
    cron: job.cron,
    timezone: job.timezone,
    enabled: job.enabled,
    retry_max: job.retry_max,
    retry_backoff_s: job.retry_backoff_s,
    timeout_s: opt(job.timeout_s),
    channel_ids: job.channel_ids,
  };
}

const between = (value: number | '', min: number, max: number) => value !== '' && Number.isInteger(value) && value >= min && value <= max;
const optionalBetween = (value: number | '', min: number, max: number) => value === '' || between(value, min, max);

/** Mirrors `backupJobCreateSchema` (src/jobs/job-input-schemas.ts). */
export function validateBackupJob(values: BackupJobFormValues): Errors {
  const errors: Errors = {};
  if (!values.name.trim()) errors.name = 'validation.required';
  else if (values.name.trim().length > 100) errors.name = 'validation.tooLong100';
  if (values.description.length > 2000) errors.description = 'validation.tooLong2000';
  if (!values.connection_id) errors.connection_id = 'validation.required';
  if (values.storage_ids.length === 0) errors.storage_ids = 'validation.oneStorage';
  else if (values.storage_ids.length > 10) errors.storage_ids = 'validation.tenStorages';
  if (!between(values.parallelism, 1, 64)) errors.parallelism = 'validation.parallelism';
  if (!optionalBetween(values.keep_last, 1, 10000)) errors['retention.keep_last'] = 'validation.keepLast';
  if (!optionalBetween(values.daily, 0, 3650)) errors['retention.daily'] = 'validation.range';
  if (!optionalBetween(values.weekly, 0, 520)) errors['retention.weekly'] = 'validation.range';
  if (!optionalBetween(values.monthly, 0, 1200)) errors['retention.monthly'] = 'validation.range';
  if (values.drill && !between(values.drill_every, 1, 1000)) errors['verification.drill_every'] = 'validation.range';
  if (values.format === 'physical' && !optionalBetween(values.incremental_full_every, 2, 1000)) errors.incremental_full_every = 'validation.fullEvery';
  if (!between(values.retry_max, 0, 100)) errors.retry_max = 'validation.retryMax';
  if (!between(values.retry_backoff_s, 1, 86400)) errors.retry_backoff_s = 'validation.backoff';
  if (values.timeout_s !== '' && !between(values.timeout_s, 1, 604800)) errors.timeout_s = 'validation.timeout';
  if (values.cron !== null && !checkCron(values.cron, values.timezone).ok) errors.cron = 'validation.cron';
  return errors;
}

export function toBackupJobInput(values: BackupJobFormValues): BackupJobInput {
  const retention: BackupJobInput['retention'] = {};
  if (values.keep_last !== '') retention.keep_last = values.keep_last;
  if (values.daily !== '') retention.daily = values.daily;
  if (values.weekly !== '') retention.weekly = values.weekly;
  if (values.monthly !== '') retention.monthly = values.monthly;
  return {
    name: values.name.trim(),
    description: values.description.trim() || null,
    connection_id: values.connection_id,
    storage_ids: values.storage_ids,
    all_databases: values.all_databases,
    include_globals: values.include_globals,
    format: values.format,
    selection: !values.all_databases && values.schemas.length > 0 ? { schemas: values.schemas } : {},
    compression: values.compression,
    encrypt: values.encrypt,
    parallelism: Number(values.parallelism),
    retention,
    verification: values.drill ? { drill: true, drill_every: Number(values.drill_every) } : { drill: false },
    // Only physical backups can be incremental: another format clears the setting.
    incremental_full_every: values.format === 'physical' && values.incremental_full_every !== '' ? values.incremental_full_every : null,
    cron: values.cron?.trim() || null,
    timezone: values.timezone,
    enabled: values.enabled,
    retry_max: Number(values.retry_max),
    retry_backoff_s: Number(values.retry_backoff_s),
    timeout_s: values.timeout_s === '' ? null : Number(values.timeout_s),
    channel_ids: values.channel_ids,
  };
}
