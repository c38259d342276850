import { type SyncJob, type SyncJobInput, type SyncMode, type TableOption, destructiveModes } from '../../api/sync-jobs.js';
import { checkCron } from '../../lib/cron.js';
import type { Errors } from '../../lib/use-form.js';

export interface SyncJobFormValues extends Record<string, unknown> {
  name: string;
  description: string;
  source_connection_id: string;
  destination_connection_id: string;
  schemas: string[];
  tables: string[];
  /** Glob patterns set through the API or CLI; the form keeps them as they are. */
  include: string[];
  exclude: string[];
  table_options: Record<string, TableOption>;
  default_mode: SyncMode;
  schema_policy: SyncJob['schema_policy'];
  parallelism: number | '';
  verify: boolean;
  copy_owners: boolean;
  copy_grants: boolean;
  cron: string | null;
  timezone: string;
  enabled: boolean;
  retry_max: number | '';
  retry_backoff_s: number | '';
  timeout_s: number | '';
  channel_ids: string[];
}

export const emptySyncJob: SyncJobFormValues = {
  name: '',
  description: '',
  source_connection_id: '',
  destination_connection_id: '',
  schemas: [],
  tables: [],
  include: [],
  exclude: [],
  table_options: {},
  default_mode: 'upsert',
  schema_policy: 'create-missing',
  parallelism: 2,
  verify: false,
  copy_owners: false,
  copy_grants: false,
  cron: null,
  timezone: 'UTC',
  enabled: true,
  retry_max: 0,
  retry_backoff_s: 60,
  timeout_s: '',
  channel_ids: [],
};

/** The schemas of `schema.table` names, in order, once each. */
function schemasOf(tables: string[]): string[] {
  return [...new Set(tables.map((table) => table.slice(0, Math.max(0, table.indexOf('.')))).filter(Boolean))];
}

export function fromSyncJob(job: SyncJob): SyncJobFormValues {
  return {
    name: job.name,
    description: job.description ?? '',
    source_connection_id: job.source_connection_id,
    destination_connection_id: job.destination_connection_id,
    // A job saved with a table list has no schema list: the tables' schemas open in the picker.
    schemas: job.selection?.schemas ?? schemasOf(job.selection?.tables ?? []),
    tables: job.selection?.tables ?? [],
    include: job.selection?.include ?? [],
    exclude: job.selection?.exclude ?? [],
    table_options: job.table_options ?? {},
    default_mode: job.default_mode,
    schema_policy: job.schema_policy,
    parallelism: job.parallelism,
    verify: job.verify,
    copy_owners: job.copy_owners,
    copy_grants: job.copy_grants,
    cron: job.cron,
    timezone: job.timezone,
    enabled: job.enabled,
    retry_max: job.retry_max,
    retry_backoff_s: job.retry_backoff_s,
    timeout_s: job.timeout_s ?? '',
    channel_ids: job.channel_ids ?? [],
  };
}

const between = (value: number | '', min: number, max: number) => value !== '' && Number.isInteger(value) && value >= min && value <= max;

/** Mirrors `syncJobCreateSchema` (src/jobs/job-input-schemas.ts). */
export function validateSyncJob(values: SyncJobFormValues): Errors {
  const errors: Errors = {};
  const name = values.name.trim();
  if (!name) errors.name = 'validation.required';
  else if (name.length > 100) errors.name = 'validation.tooLong100';
  if (values.description.length > 2000) errors.description = 'validation.tooLong2000';
  if (!values.source_connection_id) errors.source_connection_id = 'validation.required';
  if (!values.destination_connection_id) errors.destination_connection_id = 'validation.required';
  else if (values.destination_connection_id === values.source_connection_id) errors.destination_connection_id = 'validation.sameConnection';
  if (!between(values.parallelism, 1, 64)) errors.parallelism = 'validation.parallelism';
  if (!between(values.retry_max, 0, 100)) errors.retry_max = 'validation.retryMax';
  if (!between(values.retry_backoff_s, 1, 86400)) errors.retry_backoff_s = 'validation.backoff';
  if (values.timeout_s !== '' && !between(values.timeout_s, 1, 604800)) errors.timeout_s = 'validation.timeout';
  if (values.cron !== null) {
    const check = checkCron(values.cron, values.timezone);
    if (!check.ok) errors.cron = 'validation.cron';
  }
  const defaultCursor = values.table_options['*']?.cursor_column;
  for (const [table, option] of Object.entries(values.table_options)) {
    const mode = option.mode ?? values.table_options['*']?.mode ?? values.default_mode;
    if (mode === 'incremental' && !option.cursor_column && !defaultCursor) errors[`table_options.${table}`] = 'validation.cursorNeeded';
  }
  if (values.default_mode === 'incremental' && !defaultCursor && values.tables.some((table) => !values.table_options[table]?.cursor_column)) {
    errors.default_mode = 'validation.cursorNeeded';
  }
  return errors;
}

function cleanOption(option: TableOption): TableOption | null {
  const out: TableOption = {};
  if (option.mode) out.mode = option.mode;
  if (option.key && option.key.length > 0) out.key = option.key;
  if (option.cursor_column) out.cursor_column = option.cursor_column;
  if (option.where?.trim()) out.where = option.where.trim();
  const columns = Object.fromEntries(Object.entries(option.columns ?? {}).filter(([column, rule]) => column.trim() && rule.trim()));
  if (Object.keys(columns).length > 0) out.columns = columns;
  return Object.keys(out).length > 0 ? out : null;
}

export function toSyncJobInput(values: SyncJobFormValues): SyncJobInput {
  const tableOptions: Record<string, TableOption> = {};
  for (const [table, option] of Object.entries(values.table_options)) {
    const cleaned = cleanOption(option);
    // Options only for tables still selected (or any table when whole schemas are chosen).
    // `*` holds defaults for every table (set through the API or CLI); keep it.
    if (cleaned && (table === '*' || values.tables.length === 0 || values.tables.includes(table))) tableOptions[table] = cleaned;
  }
  const globs = { ...(values.include.length > 0 ? { include: values.include } : {}), ...(values.exclude.length > 0 ? { exclude: values.exclude } : {}) };
  const selection = { ...(values.tables.length > 0 ? { tables: values.tables } : values.schemas.length > 0 ? { schemas: values.schemas } : {}), ...globs };
  return {
    name: values.name.trim(),
    description: values.description.trim() || null,
    source_connection_id: values.source_connection_id,
    destination_connection_id: values.destination_connection_id,
    selection,
    table_options: tableOptions,
    default_mode: values.default_mode,
    schema_policy: values.schema_policy,
    parallelism: Number(values.parallelism),
    verify: values.verify,
    copy_owners: values.copy_owners,
    copy_grants: values.copy_grants,
    cron: values.cron?.trim() || null,
    timezone: values.timezone,
    enabled: values.enabled,
    retry_max: Number(values.retry_max),
    retry_backoff_s: Number(values.retry_backoff_s),
    timeout_s: values.timeout_s === '' ? null : Number(values.timeout_s),
    channel_ids: values.channel_ids,
  };
}

/** Modes in use that replace or delete destination rows. */
export function destructiveModesIn(values: SyncJobFormValues): SyncMode[] {
  const modes = new Set<SyncMode>([values.default_mode]);
  for (const option of Object.values(values.table_options)) if (option.mode) modes.add(option.mode);
  return [...modes].filter((mode) => destructiveModes.includes(mode));
}
