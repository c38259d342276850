import { z } from 'zod';

import { schemaPolicies } from '../engine/types.js';
import type { FollowJob } from '../store/follow-job-repository.js';
import { selectionViewSchema, tableOptionViewSchema } from '../store/job-columns.js';

// The JSON shape of a continuous-sync job in the API and `--json` output.

const iso = (value: Date | null | undefined): string | null => (value ? value.toISOString() : null);

/** The follower's figures as last stored (every few seconds) by the worker that follows the job. */
export const followProgressViewSchema = z
  .object({
    phase: z.string(),
    slot_name: z.string().nullable(),
    publication_name: z.string().nullable(),
    source_lsn: z.string().nullable(),
    applied_lsn: z.string().nullable(),
    lag_bytes: z.number().nullable(),
    lag_seconds: z.number().nullable(),
    retained_bytes: z.number().nullable(),
    last_applied_xid: z.number().nullable(),
    last_applied_commit_time: z.string().nullable(),
    changes_applied: z.number(),
    changes_per_second: z.number(),
    transactions_applied: z.number(),
    measured_at: z.string().nullable(),
  })
  .describe('FollowProgress');
export type FollowProgressView = z.infer<typeof followProgressViewSchema>;

export const cutoverReportViewSchema = z
  .object({
    follow_id: z.string(),
    target_lsn: z.string(),
    applied_lsn: z.string(),
    sequences_set: z.array(z.object({ sequence: z.string(), value: z.string() })),
    tables: z.array(z.object({ table: z.string(), equal: z.boolean(), source_rows: z.number(), destination_rows: z.number(), detail: z.string().optional() })),
    schema_equal: z.boolean(),
    equal: z.boolean(),
    seconds: z.number(),
    finished_at: z.string(),
  })
  .describe('CutoverReport');
export type CutoverReportView = z.infer<typeof cutoverReportViewSchema>;

export const followJobViewSchema = z
  .object({
    id: z.string(),
    kind: z.literal('follow'),
    name: z.string(),
    description: z.string().nullable(),
    source_connection_id: z.string(),
    destination_connection_id: z.string(),
    selection: selectionViewSchema,
    table_options: z.record(z.string(), tableOptionViewSchema),
    schema_policy: z.enum(schemaPolicies),
    parallelism: z.number(),
    copy_owners: z.boolean(),
    copy_grants: z.boolean(),
    enabled: z.boolean(),
    channel_ids: z.array(z.string()),
    retained_bytes_alert: z.number().nullable(),
    lag_seconds_alert: z.number().nullable(),
    /** running: a worker holds the lease; waiting: none does yet (or its worker died and the lease has not expired). */
    state: z.enum(['running', 'waiting', 'paused', 'disabled']),
    paused_reason: z.string().nullable(),
    worker_id: z.string().nullable(),
    lease_expires_at: z.string().nullable(),
    progress: followProgressViewSchema.nullable(),
    last_error: z.object({ code: z.string(), message: z.string().nullable(), at: z.string().nullable() }).nullable(),
    last_cutover: cutoverReportViewSchema.nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .describe('FollowJob');
export type FollowJobView = z.infer<typeof followJobViewSchema>;

function stateOf(job: FollowJob, now: Date): FollowJobView['state'] {
  if (!job.enabled) return 'disabled';
  if (job.follow.paused) return 'paused';
  return job.follow.lease_worker_id && job.follow.lease_expires_at && job.follow.lease_expires_at >= now ? 'running' : 'waiting';
}

export function followJobView(job: FollowJob, now = new Date()): FollowJobView {
  const follow = job.follow;
  return {
    id: job.id,
    kind: 'follow',
    name: job.name,
    description: job.description,
    source_connection_id: job.source_connection_id,
    destination_connection_id: job.destination_connection_id,
    selection: job.selection,
    table_options: job.table_options,
    schema_policy: job.schema_policy,
    parallelism: job.parallelism,
    copy_owners: job.copy_owners,
    copy_grants: job.copy_grants,
    enabled: job.enabled,
    channel_ids: job.channel_ids,
    retained_bytes_alert: follow.retained_bytes_alert === null ? null : Number(follow.retained_bytes_alert),
    lag_seconds_alert: follow.lag_seconds_alert,
    state: stateOf(job, now),
    paused_reason: follow.paused_reason,
    worker_id: stateOf(job, now) === 'running' ? follow.lease_worker_id : null,
    lease_expires_at: iso(follow.lease_expires_at),
    progress: follow.progress ? { ...(follow.progress as Omit<FollowProgressView, 'measured_at'>), measured_at: iso(follow.progress_at) } : null,
    last_error: follow.last_error_code ? { code: follow.last_error_code, message: follow.last_error_message, at: iso(follow.last_error_at) } : null,
    last_cutover: (follow.last_cutover as CutoverReportView | null) ?? null,
    created_at: job.created_at.toISOString(),
    updated_at: job.updated_at.toISOString(),
  };
}
