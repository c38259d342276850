import type { Kysely } from 'kysely';

import type { StoreDatabase } from '../store/store-types.js';
import { queueDeliveries } from './notification-dispatcher.js';
import { followAlertPayload, followFailedPayload } from './notification-payload.js';

export interface FollowFigures {
  retainedBytes: number | null;
  lagSeconds: number | null;
  lagBytes: number | null;
}

type AlertEvent = 'replication_retained' | 'replication_lag';

/**
 * Tells the job's channels when the slot retains more WAL, or the lag is longer, than the
 * job's thresholds: once per spell (marked in follow_jobs), re-armed when the figure is back
 * under its threshold. Returns the deliveries queued.
 */
export async function queueFollowAlerts(db: Kysely<StoreDatabase>, jobId: string, figures: FollowFigures): Promise<number> {
  const job = await db
    .selectFrom('follow_jobs as follow')
    .innerJoin('sync_jobs as job', 'job.id', 'follow.sync_job_id')
    .select(['job.id', 'job.name', 'follow.retained_bytes_alert', 'follow.lag_seconds_alert', 'follow.retained_alerted_at', 'follow.lag_alerted_at'])
    .where('follow.sync_job_id', '=', jobId)
    .executeTakeFirst();
  if (!job) return 0;
  const checks: { event: AlertEvent; threshold: number | null; value: number | null; alertedAt: Date | null; column: 'retained_alerted_at' | 'lag_alerted_at' }[] = [
    { event: 'replication_retained', threshold: job.retained_bytes_alert === null ? null : Number(job.retained_bytes_alert), value: figures.retainedBytes, alertedAt: job.retained_alerted_at, column: 'retained_alerted_at' },
    { event: 'replication_lag', threshold: job.lag_seconds_alert, value: figures.lagSeconds, alertedAt: job.lag_alerted_at, column: 'lag_alerted_at' },
  ];
  let queued = 0;
  for (const check of checks) {
    if (check.threshold === null || check.value === null) continue;
    const over = check.value > check.threshold;
    if (!over) {
      if (check.alertedAt) await db.updateTable('follow_jobs').set({ [check.column]: null }).where('sync_job_id', '=', jobId).execute();
      continue;
    }
    // Marked first, conditionally: two workers measuring at once tell the channels once.
    const marked = await db
      .updateTable('follow_jobs')
      .set({ [check.column]: new Date() })
      .where('sync_job_id', '=', jobId)
      .where(check.column, 'is', null)
      .executeTakeFirst();
    if (Number(marked.numUpdatedRows) === 0) continue;
    const channels = await db
      .selectFrom('sync_job_channels as link')
      .innerJoin('notification_channels as channel', 'channel.id', 'link.channel_id')
      .select(['channel.id', 'channel.events'])
      .where('link.sync_job_id', '=', jobId)
      .where('channel.enabled', '=', true)
      .execute();
    const targets = channels.filter((channel) => channel.events.includes(check.event)).map((channel) => channel.id);
    queued += await queueDeliveries(db, targets, null, followAlertPayload(check.event, job, { ...figures, threshold: check.threshold }));
  }
  return queued;
}

/** Tells the job's channels that watch `failed` that its follower stopped for good (the job is paused). */
export async function queueFollowFailure(db: Kysely<StoreDatabase>, jobId: string, code: string, message: string): Promise<number> {
  const job = await db.selectFrom('sync_jobs').select(['id', 'name']).where('id', '=', jobId).executeTakeFirst();
  if (!job) return 0;
  const channels = await db
    .selectFrom('sync_job_channels as link')
    .innerJoin('notification_channels as channel', 'channel.id', 'link.channel_id')
    .select(['channel.id', 'channel.events'])
    .where('link.sync_job_id', '=', jobId)
    .where('channel.enabled', '=', true)
    .execute();
  const targets = channels.filter((channel) => channel.events.includes('failed')).map((channel) => channel.id);
  return queueDeliveries(db, targets, null, followFailedPayload(job, code, message));
}
