import { z } from 'zod';

import { compressions } from '../engine/archive/compression.js';

// Request and response shapes of continuous protection (/api/v1/connections/{id}/protection).

export const protectionBodySchema = z
  .object({
    storage: z.string().min(1).max(200).describe('storage id or name; WAL is kept under wal/<system id>/ at its root'),
    compression: z.enum(compressions).optional().describe('(default: gzip, or the current setting)'),
    encrypt: z.boolean().optional().describe("encrypt every WAL file with the storage's encryption secret (default: false, or the current setting)"),
    lag_seconds_alert: z.number().int().min(1).max(30 * 86_400).nullable().optional().describe('notify when WAL not yet in storage is older than this many seconds; null: never'),
    retained_bytes_alert: z.number().int().min(1).max(2 ** 53 - 1).nullable().optional().describe("notify when the slot keeps more than this many bytes of WAL on the source; null: never"),
    channel_ids: z.array(z.uuid()).max(50).optional().describe('notification channels told of threshold crossings (events protection_lag, protection_retained, protection_recovered)'),
    drill_cron: z.string().min(1).max(200).nullable().optional().describe('a physical drill (run of kind drill) on this cron schedule; null: none'),
    drill_timezone: z.string().min(1).max(100).optional().describe('time zone of drill_cron (default: UTC, or the current setting)'),
    keep_last: z.number().int().min(1).max(10_000).nullable().optional().describe('retention after a drill that passed: newest base backups kept'),
    keep_daily: z.number().int().min(1).max(10_000).nullable().optional(),
    keep_weekly: z.number().int().min(1).max(10_000).nullable().optional(),
    keep_monthly: z.number().int().min(1).max(10_000).nullable().optional(),
  })
  .strict();

const progressSchema = z.object({
  system_id: z.string().nullable(),
  timeline: z.number().nullable(),
  received_lsn: z.string().nullable(),
  uploaded_lsn: z.string().nullable().describe('end of the last WAL segment in storage: what a restore can reach'),
  server_lsn: z.string().nullable(),
  lag_bytes: z.number().nullable().describe('WAL on the server not yet in storage'),
  lag_seconds: z.number().nullable().describe('age of the oldest WAL not yet in storage (the recovery point objective now)'),
  retained_bytes: z.number().nullable().describe('WAL the slot keeps on the source'),
  segments_uploaded: z.number().nullable().describe('since the stream last started'),
  at: z.string(),
});

export const protectionViewSchema = z
  .object({
    connection_id: z.string(),
    connection_name: z.string(),
    enabled: z.boolean(),
    storage_id: z.string(),
    storage_name: z.string(),
    slot_name: z.string(),
    slot_state: z.enum(['active', 'dropping', 'dropped']).describe('dropping: disabled, the slot is still on the source until a worker drops it'),
    compression: z.enum(compressions),
    encrypt: z.boolean(),
    lag_seconds_alert: z.number().nullable(),
    retained_bytes_alert: z.number().nullable(),
    channel_ids: z.array(z.string()),
    drill_cron: z.string().nullable(),
    drill_timezone: z.string(),
    drill_next_fire_at: z.string().nullable(),
    keep_last: z.number().nullable(),
    keep_daily: z.number().nullable(),
    keep_weekly: z.number().nullable(),
    keep_monthly: z.number().nullable(),
    streaming: z.boolean().describe('a worker holds the lease and streams now'),
    worker_id: z.string().nullable(),
    progress: progressSchema.nullable(),
    last_error: z.object({ code: z.string(), message: z.string().nullable(), at: z.string().nullable() }).nullable(),
    lag_alerted_at: z.string().nullable(),
    retained_alerted_at: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .describe('ConnectionProtection');

export const protectionListSchema = z.object({ items: z.array(protectionViewSchema) });

export const protectionTimelineSchema = z
  .object({
    connection_id: z.string(),
    storage_name: z.string(),
    system_id: z.string().nullable().describe('null until the stream reported the cluster; then windows are listed'),
    windows: z.array(
      z.object({
        backup: z.string().describe('the base backup (path in the storage)'),
        timeline: z.number(),
        start_lsn: z.string(),
        started_at: z.string(),
        consistent_lsn: z.string().describe('the earliest point it restores to'),
        consistent_at: z.string(),
        end_lsn: z.string().describe('the latest point: the end of the unbroken WAL after the backup'),
        unrestorable: z.boolean(),
        first_missing: z.string().nullable().describe('a hole in the WAL after the backup'),
        resumes_at: z.string().nullable(),
      }),
    ),
  })
  .describe('ProtectionTimeline');

export const protectionRestoreBodySchema = z
  .object({
    backup: z.string().min(1).describe('the base backup (a window of the timeline)'),
    target_time: z.string().datetime({ offset: true }).optional().describe('recover to this moment (inside the window)'),
    target_lsn: z.string().regex(/^[0-9A-Fa-f]{1,8}\/[0-9A-Fa-f]{1,8}$/).optional(),
    target_name: z.string().min(1).max(63).optional().describe('a restore point (pg_create_restore_point)'),
    latest: z.boolean().optional().describe('recover through all WAL in the archive'),
    to_dir: z.string().min(2).refine((dir) => dir.startsWith('/'), 'an absolute path on the worker host').describe("the new data directory on the worker's host (must not exist, or be empty)"),
    start: z.boolean().default(false).describe('start the restored cluster and wait until recovery reached the target'),
    port: z.number().int().min(1).max(65535).optional().describe('with start: the port (default: a free one)'),
  })
  .strict()
  .describe('ProtectionRestoreBody');
