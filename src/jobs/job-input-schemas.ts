import { z } from 'zod';

import { isPgferryError } from '../errors/pgferry-error.js';
import { validateCron } from '../cron/cron-schedule.js';
import { schemaPolicies, syncModes } from '../engine/types.js';
import { backupFormats, compressions, retentionSchema, selectionSchema, tableOptionSchema, verificationSchema } from '../store/job-columns.js';
import { displaySafe } from '../store/safe-text.js';

// One definition of a saved job, shared by the API (body validation, OpenAPI) and the CLI.

const name = displaySafe(z.string().trim().min(1, 'must not be empty').max(100, 'at most 100 characters'));
const description = z.string().max(2000, 'at most 2000 characters').nullable();
const cronField = z.string().trim().min(1).max(200).nullable();
const timezone = z.string().trim().min(1).max(100);

const scheduleShape = {
  cron: cronField.optional().describe('5 or 6 fields (seconds first); null = run only on demand'),
  timezone: timezone.optional().describe('IANA time zone of the cron (default: UTC)'),
  enabled: z.boolean().optional(),
  retry_max: z.number().int().min(0).max(100).optional().describe('Automatic retries after a failure (default: 0)'),
  retry_backoff_s: z.number().int().min(1).max(86400).optional().describe('First retry delay; doubles each attempt (default: 60)'),
  timeout_s: z.number().int().min(1).max(604800).nullable().optional().describe('Stop and fail a run after this long'),
  channel_ids: z.array(z.uuid()).max(50).optional().describe('Notification channels told about runs'),
};

/** Adds an issue on `cron` (or `timezone`) when the pair is invalid. */
function refineSchedule(value: { cron?: string | null | undefined; timezone?: string | undefined }, context: z.RefinementCtx): void {
  if (value.cron === null || value.cron === undefined) return;
  try {
    validateCron(value.cron, value.timezone ?? 'UTC');
  } catch (error) {
    if (!isPgferryError(error)) throw error;
    const field = error.details?.field === 'timezone' ? 'timezone' : 'cron';
    context.addIssue({ code: 'custom', path: [field], message: error.message });
  }
}

const syncJobShape = {
  name,
  description: description.optional(),
  source_connection_id: z.uuid(),
  destination_connection_id: z.uuid(),
  selection: selectionSchema.optional(),
  table_options: z
    .record(z.string().min(1), tableOptionSchema)
    .optional()
    .describe('Per-table options keyed by schema.table; the key "*" holds defaults for every other table (e.g. cursor_column)'),
  default_mode: z.enum(syncModes).optional(),
  schema_policy: z.enum(schemaPolicies).optional(),
  parallelism: z.number().int().min(1).max(64).optional(),
  split_rows: z.number().int().min(1).nullable().optional(),
  verify: z.boolean().optional(),
  copy_owners: z.boolean().optional().describe("Give the copied objects the source's owners (the roles must exist on the destination)"),
  copy_grants: z.boolean().optional().describe("Add the source's GRANTs on the copied objects"),
  ...scheduleShape,
};

export const syncJobCreateSchema = z.strictObject(syncJobShape).superRefine((value, context) => {
  refineSchedule(value, context);
  if (value.source_connection_id === value.destination_connection_id) {
    context.addIssue({ code: 'custom', path: ['destination_connection_id'], message: 'must differ from source_connection_id' });
  }
  // Incremental needs a cursor column: per table, or for all tables under "*".
  const options = value.table_options ?? {};
  const defaultCursor = options['*']?.cursor_column;
  const listed = value.selection?.tables ?? [];
  const everyListedHasCursor = listed.length > 0 && listed.every((table) => options[table]?.cursor_column);
  if ((options['*']?.mode ?? value.default_mode ?? 'full') === 'incremental' && !defaultCursor && !everyListedHasCursor) {
    context.addIssue({
      code: 'custom',
      path: ['table_options', '*', 'cursor_column'],
      message: 'incremental needs a cursor column: table_options: {"*": {"cursor_column": "updated_at"}}, or one per listed table',
    });
  }
  for (const [table, option] of Object.entries(options)) {
    if (table !== '*' && option.mode === 'incremental' && !option.cursor_column && !defaultCursor) {
      context.addIssue({ code: 'custom', path: ['table_options', table, 'cursor_column'], message: `mode incremental on ${table} needs a cursor_column` });
    }
  }
});
export const syncJobUpdateSchema = z.strictObject(syncJobShape).partial().superRefine(refineSchedule);
export type SyncJobInput = z.infer<typeof syncJobCreateSchema>;

/** What "run now" of a sync job may change for that one run (stored in runs.params, read by the sync executor). */
export const syncRunParamsSchema = z.strictObject({
  resume: z.uuid().optional().describe("A failed or cancelled run of this job to continue: the tables it committed are skipped"),
  verify: z.boolean().optional().describe("Verify with checksums after the load (default: the job's setting)"),
});
export type SyncRunParams = z.infer<typeof syncRunParamsSchema>;
export type SyncJobPatch = z.infer<typeof syncJobUpdateSchema>;

// A continuous-sync job: a sync job's definition (what to copy and how) without a schedule or
// a mode (it copies once, then streams), plus the thresholds its notifications watch.
const followJobShape = {
  name,
  description: description.optional(),
  source_connection_id: z.uuid(),
  destination_connection_id: z.uuid(),
  selection: selectionSchema.optional(),
  table_options: z
    .record(z.string().min(1), tableOptionSchema.omit({ mode: true, cursor_column: true }))
    .optional()
    .describe('Per-table filters (where), keys and column rules keyed by schema.table; "*" holds defaults; the stream applies them as the copy does'),
  schema_policy: z.enum(schemaPolicies).optional(),
  parallelism: z.number().int().min(1).max(64).optional().describe('Tables copied at once during the initial copy (default: 2)'),
  copy_owners: z.boolean().optional(),
  copy_grants: z.boolean().optional(),
  enabled: z.boolean().optional().describe('A disabled job is not followed by any worker (its slot stays and retains WAL)'),
  channel_ids: scheduleShape.channel_ids,
  retained_bytes_alert: z.number().int().min(1).nullable().optional().describe('Notify (event replication_retained) when the slot retains more WAL than this many bytes'),
  lag_seconds_alert: z.number().int().min(1).max(31_536_000).nullable().optional().describe('Notify (event replication_lag) when the lag passes this many seconds'),
};

export const followJobCreateSchema = z.strictObject(followJobShape).superRefine((value, context) => {
  if (value.source_connection_id === value.destination_connection_id) {
    context.addIssue({ code: 'custom', path: ['destination_connection_id'], message: 'must differ from source_connection_id' });
  }
});
export const followJobUpdateSchema = z.strictObject(followJobShape).partial();
export type FollowJobInput = z.infer<typeof followJobCreateSchema>;
export type FollowJobPatch = z.infer<typeof followJobUpdateSchema>;

const backupJobShape = {
  name,
  description: description.optional(),
  connection_id: z.uuid(),
  storage_ids: z.array(z.uuid()).min(1, 'at least one storage').max(10),
  all_databases: z.boolean().optional(),
  include_globals: z.boolean().optional(),
  format: z.enum(backupFormats).optional(),
  selection: selectionSchema.optional(),
  compression: z.enum(compressions).optional(),
  encrypt: z.boolean().optional(),
  parallelism: z.number().int().min(1).max(64).optional(),
  retention: retentionSchema.optional(),
  verification: verificationSchema.optional(),
  incremental_full_every: z
    .number()
    .int()
    .min(2)
    .max(1000)
    .nullable()
    .optional()
    .describe('Format physical, PostgreSQL 17+ with summarize_wal = on: each run takes an incremental backup on the previous one, every Nth run a full backup (null: every run is a full backup)'),
  ...scheduleShape,
};

export const backupJobCreateSchema = z.strictObject(backupJobShape).superRefine(refineSchedule);
export const backupJobUpdateSchema = z.strictObject(backupJobShape).partial().superRefine(refineSchedule);
export type BackupJobInput = z.infer<typeof backupJobCreateSchema>;
export type BackupJobPatch = z.infer<typeof backupJobUpdateSchema>;
