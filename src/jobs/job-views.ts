import { z } from 'zod';

import { schemaPolicies, syncModes } from '../engine/types.js';
import type { BackupJob } from '../store/backup-job-repository.js';
import { backupFormats, compressions, retentionViewSchema, selectionViewSchema, tableOptionViewSchema, verificationViewSchema } from '../store/job-columns.js';
import type { LastRun } from '../store/last-run-query.js';
import type { RunSummary } from '../store/run-repository.js';
import { runStatuses } from '../store/run-statuses.js';
import type { RunRow } from '../store/store-types.js';
import type { SyncJob } from '../store/sync-job-repository.js';

// The JSON shapes of jobs and runs in the API (timestamps as ISO strings) and their schemas.

const iso = (value: Date | null | undefined): string | null => (value ? value.toISOString() : null);
const timestamp = z.string().nullable();

const scheduleView = {
  cron: z.string().nullable(),
  timezone: z.string(),
  enabled: z.boolean(),
  next_fire_at: timestamp,
  skipped_ticks: z.number(),
  last_skipped_tick_at: timestamp,
  retry_max: z.number(),
  retry_backoff_s: z.number(),
  timeout_s: z.number().nullable(),
  channel_ids: z.array(z.string()),
  created_at: z.string(),
  updated_at: z.string(),
};

export const syncJobViewSchema = z
  .object({
    id: z.string(),
    kind: z.literal('sync'),
    name: z.string(),
    description: z.string().nullable(),
    source_connection_id: z.string(),
    destination_connection_id: z.string(),
    selection: selectionViewSchema,
    table_options: z.record(z.string(), tableOptionViewSchema),
    default_mode: z.enum(syncModes),
    schema_policy: z.enum(schemaPolicies),
    parallelism: z.number(),
    split_rows: z.number().nullable(),
    verify: z.boolean(),
    copy_owners: z.boolean(),
    copy_grants: z.boolean(),
    ...scheduleView,
  })
  .describe('SyncJob');
export type SyncJobView = z.infer<typeof syncJobViewSchema>;

export const backupJobViewSchema = z
  .object({
    id: z.string(),
    kind: z.literal('backup'),
    name: z.string(),
    description: z.string().nullable(),
    connection_id: z.string(),
    storage_ids: z.array(z.string()),
    all_databases: z.boolean(),
    include_globals: z.boolean(),
    format: z.enum(backupFormats),
    selection: selectionViewSchema,
    compression: z.enum(compressions),
    encrypt: z.boolean(),
    parallelism: z.number(),
    retention: retentionViewSchema,
    verification: verificationViewSchema,
    incremental_full_every: z.number().nullable(),
    ...scheduleView,
  })
  .describe('BackupJob');
export type BackupJobView = z.infer<typeof backupJobViewSchema>;

function scheduleFields(job: SyncJob | BackupJob) {
  return {
    cron: job.cron,
    timezone: job.timezone,
    enabled: job.enabled,
    next_fire_at: iso(job.next_fire_at),
    skipped_ticks: job.skipped_ticks,
    last_skipped_tick_at: iso(job.last_skipped_tick_at),
    retry_max: job.retry_max,
    retry_backoff_s: job.retry_backoff_s,
    timeout_s: job.timeout_s,
    channel_ids: job.channel_ids,
    created_at: job.created_at.toISOString(),
    updated_at: job.updated_at.toISOString(),
  };
}

export function syncJobView(job: SyncJob): SyncJobView {
  return {
    id: job.id,
    kind: 'sync',
    name: job.name,
    description: job.description,
    source_connection_id: job.source_connection_id,
    destination_connection_id: job.destination_connection_id,
    selection: job.selection,
    table_options: job.table_options,
    default_mode: job.default_mode,
    schema_policy: job.schema_policy,
    parallelism: job.parallelism,
    split_rows: job.split_rows === null ? null : Number(job.split_rows),
    verify: job.verify,
    copy_owners: job.copy_owners,
    copy_grants: job.copy_grants,
    ...scheduleFields(job),
  };
}

export function backupJobView(job: BackupJob): BackupJobView {
  return {
    id: job.id,
    kind: 'backup',
    name: job.name,
    description: job.description,
    connection_id: job.connection_id,
    storage_ids: job.storage_ids,
    all_databases: job.all_databases,
    include_globals: job.include_globals,
    format: job.format,
    selection: job.selection,
    compression: job.compression,
    encrypt: job.encrypt,
    parallelism: job.parallelism,
    retention: job.retention,
    verification: job.verification,
    incremental_full_every: job.incremental_full_every,
    ...scheduleFields(job),
  };
}

/** A job list shows how each job's latest run went without a query per row. */
export const lastRunViewSchema = z
  .object({ id: z.string(), status: z.enum(runStatuses), finished_at: timestamp })
  .nullable()
  .describe("The job's latest run by queue time (whatever its status), null when it never ran");
export type LastRunView = z.infer<typeof lastRunViewSchema>;

export function lastRunView(run: LastRun | undefined): LastRunView {
  return run ? { id: run.id, status: run.status, finished_at: iso(run.finished_at) } : null;
}

export const syncJobListItemSchema = syncJobViewSchema.extend({ last_run: lastRunViewSchema }).describe('SyncJobListItem');
export const backupJobListItemSchema = backupJobViewSchema.extend({ last_run: lastRunViewSchema }).describe('BackupJobListItem');

export const runSummaryViewSchema = z
  .object({
    id: z.string(),
    kind: z.string(),
    job_id: z.string().nullable(),
    sync_job_id: z.string().nullable(),
    backup_job_id: z.string().nullable(),
    job_name: z.string().nullable(),
    trigger: z.string(),
    status: z.enum(runStatuses).describe('incomplete: every table was copied but schema objects were not reproduced (never a success)'),
    scheduled_for: timestamp,
    queued_at: z.string(),
    started_at: timestamp,
    finished_at: timestamp,
    duration_ms: z.number().nullable(),
    heartbeat_at: timestamp,
    worker_id: z.string().nullable(),
    attempt: z.number(),
    retry_of: z.string().nullable(),
    resume_of: z.string().nullable(),
    total_rows: z.number(),
    total_bytes: z.number(),
    error_code: z.string().nullable(),
    error_message: z.string().nullable(),
    cancel_requested_at: timestamp,
    created_by: z.string().nullable(),
  })
  .describe('RunSummary');
export type RunSummaryView = z.infer<typeof runSummaryViewSchema>;

export const runDetailViewSchema = runSummaryViewSchema
  .extend({
    tables: z.array(z.unknown()).describe('Per-table figures: table, status, rows, bytes, duration_ms, error'),
    missing_objects: z
      .array(z.object({ object: z.string(), reason: z.string() }))
      .describe('Schema objects of the selection not reproduced on the destination, with why (an incomplete run lists at least one)'),
    params: z.record(z.string(), z.unknown()),
    error_stack: z.string().nullable(),
  })
  .describe('Run');
export type RunDetailView = z.infer<typeof runDetailViewSchema>;

export function runSummaryView(run: RunSummary): RunSummaryView {
  return {
    id: run.id,
    kind: run.kind,
    job_id: run.sync_job_id ?? run.backup_job_id,
    sync_job_id: run.sync_job_id,
    backup_job_id: run.backup_job_id,
    job_name: run.job_name,
    trigger: run.trigger,
    status: run.status,
    scheduled_for: iso(run.scheduled_for),
    queued_at: run.queued_at.toISOString(),
    started_at: iso(run.started_at),
    finished_at: iso(run.finished_at),
    duration_ms: run.started_at && run.finished_at ? run.finished_at.getTime() - run.started_at.getTime() : null,
    heartbeat_at: iso(run.heartbeat_at),
    worker_id: run.worker_id,
    attempt: run.attempt,
    retry_of: run.retry_of,
    resume_of: run.resume_of,
    total_rows: Number(run.total_rows),
    total_bytes: Number(run.total_bytes),
    error_code: run.error_code,
    error_message: run.error_message,
    cancel_requested_at: iso(run.cancel_requested_at),
    created_by: run.created_by,
  };
}

export function runDetailView(run: RunRow): RunDetailView {
  return { ...runSummaryView(run), tables: run.tables, missing_objects: run.missing_objects, params: run.params, error_stack: run.error_stack };
}

export const runLogViewSchema = z
  .object({
    id: z.string(),
    at: z.string(),
    level: z.enum(['debug', 'info', 'warn', 'error']),
    message: z.string(),
    table: z.string().nullable(),
    data: z.unknown(),
  })
  .describe('RunLogLine');
