import { type Kysely, sql } from 'kysely';

import { isPgferryError } from '../errors/pgferry-error.js';
import { nextFireTime } from '../cron/cron-schedule.js';
import type { Logger } from '../logger.js';
import { type OutboundCheck, allowAnyOutbound } from '../net/outbound-guard.js';
import type { SecretBox } from '../secrets/secret-box.js';
import { channelSendConfig } from './channel-service.js';
import { previousFinishedRun } from '../store/run-repository.js';
import type { RunRow, StoreDatabase } from '../store/store-types.js';
import type { ChannelKind } from './channel-kinds.js';
import { type NotificationEvent, type NotificationPayload, overduePayload, runPayload } from './notification-payload.js';
import { sendNotification } from './send-notification.js';

export interface DeliveryPolicy {
  /** Attempts before a delivery is given up as failed (default: 5). */
  maxAttempts: number;
  /** Delay before the second attempt; doubles after (default: 10 s). */
  backoffMs: number;
  /** A claimed delivery not finished within this is tried again by any worker (default: 60 s). */
  leaseMs: number;
}

export const defaultDeliveryPolicy: DeliveryPolicy = { maxAttempts: 5, backoffMs: 10_000, leaseMs: 60_000 };

export async function queueDeliveries(db: Kysely<StoreDatabase>, channelIds: string[], runId: string | null, payload: NotificationPayload): Promise<number> {
  if (channelIds.length === 0) return 0;
  await db
    .insertInto('notification_deliveries')
    .values(channelIds.map((channel_id) => ({ channel_id, run_id: runId, event: payload.event, payload: JSON.stringify(payload), next_attempt_at: new Date() })))
    .execute();
  return channelIds.length;
}

/** A scheduled physical drill has no job: the protection's channels are told of it. */
const drilledConnection = (run: Partial<Pick<RunRow, 'kind' | 'params'>>): string | undefined => {
  const params = run.params as { physical?: unknown; connection_id?: unknown } | null;
  return run.kind === 'drill' && params?.physical === true && typeof params.connection_id === 'string' ? params.connection_id : undefined;
};

async function jobChannels(db: Kysely<StoreDatabase>, run: Pick<RunRow, 'sync_job_id' | 'backup_job_id'> & Partial<Pick<RunRow, 'kind' | 'params'>>) {
  const protectedConnection = drilledConnection(run);
  if (protectedConnection) {
    return db
      .selectFrom('connection_protection_channels as link')
      .where('link.connection_id', '=', protectedConnection)
      .innerJoin('notification_channels as channel', 'channel.id', 'link.channel_id')
      .select(['channel.id', 'channel.events'])
      .where('channel.enabled', '=', true)
      .execute();
  }
  const query = run.sync_job_id
    ? db.selectFrom('sync_job_channels as link').where('link.sync_job_id', '=', run.sync_job_id)
    : db.selectFrom('backup_job_channels as link').where('link.backup_job_id', '=', run.backup_job_id ?? '');
  return query
    .innerJoin('notification_channels as channel', 'channel.id', 'link.channel_id')
    .select(['channel.id', 'channel.events'])
    .where('channel.enabled', '=', true)
    .execute();
}

/**
 * Queues the notifications a finished run calls for: `failed` when no retry follows,
 * `recovered` when it succeeded after a failure (instead of `succeeded` for channels that
 * want both), `succeeded` otherwise. An `incomplete` run (schema objects not reproduced) is
 * told as `failed`, titled "incomplete" and listing the objects: it needs someone's attention
 * like a failure, and channels that watch failures get it without being reconfigured.
 */
export async function queueRunNotifications(db: Kysely<StoreDatabase>, run: RunRow): Promise<number> {
  if (!run.sync_job_id && !run.backup_job_id && !drilledConnection(run)) return 0;
  if (run.status === 'cancelled') return 0;
  const channels = await jobChannels(db, run);
  if (channels.length === 0) return 0;
  let events: NotificationEvent[];
  if (run.status === 'failed' || run.status === 'incomplete') {
    const retry = await db.selectFrom('runs').select('id').where('retry_of', '=', run.id).executeTakeFirst();
    if (retry) return 0;
    events = ['failed'];
  } else {
    const previous = await previousFinishedRun(db, run);
    events = previous?.status === 'failed' || previous?.status === 'incomplete' ? ['recovered', 'succeeded'] : ['succeeded'];
  }
  let queued = 0;
  for (const event of events) {
    // A channel told "recovered" is not also told "succeeded" about the same run.
    const targets = channels.filter((channel) => channel.events.includes(event) && !(event === 'succeeded' && events.includes('recovered') && channel.events.includes('recovered')));
    queued += await queueDeliveries(db, targets.map((channel) => channel.id), run.id, runPayload(event as 'failed' | 'succeeded' | 'recovered', run));
  }
  return queued;
}

interface ClaimedDelivery {
  id: string;
  channel_id: string;
  attempts: number;
  payload: NotificationPayload;
}

/** Sends the due deliveries (claimed with SKIP LOCKED under a lease), recording each attempt. */
export async function deliverDueNotifications(
  db: Kysely<StoreDatabase>,
  secrets: SecretBox,
  logger: Logger,
  policy: DeliveryPolicy = defaultDeliveryPolicy,
  options: { limit?: number; outbound?: OutboundCheck } = {},
): Promise<number> {
  const limit = options.limit ?? 20;
  const outbound = options.outbound ?? allowAnyOutbound;
  const claimed = await sql<ClaimedDelivery>`
    UPDATE notification_deliveries
    SET attempts = attempts + 1, next_attempt_at = now() + make_interval(secs => ${policy.leaseMs / 1000})
    WHERE id IN (
      SELECT id FROM notification_deliveries
      WHERE status = 'pending' AND next_attempt_at <= now()
      ORDER BY next_attempt_at
      FOR UPDATE SKIP LOCKED
      LIMIT ${limit}
    )
    RETURNING id, channel_id, attempts, payload`.execute(db);
  await Promise.all(claimed.rows.map((delivery) => attemptDelivery(db, secrets, logger, policy, outbound, delivery)));
  return claimed.rows.length;
}

async function attemptDelivery(db: Kysely<StoreDatabase>, secrets: SecretBox, logger: Logger, policy: DeliveryPolicy, outbound: OutboundCheck, delivery: ClaimedDelivery): Promise<void> {
  const id = String(delivery.id);
  try {
    const channel = await db.selectFrom('notification_channels').selectAll().where('id', '=', delivery.channel_id).executeTakeFirstOrThrow();
    const result = await sendNotification(channel.kind as ChannelKind, channelSendConfig(channel, secrets), delivery.payload, id, { outbound, channelName: channel.name });
    await db
      .updateTable('notification_deliveries')
      .set({ status: 'delivered', delivered_at: new Date(), response_status: result.responseStatus, last_error: null, next_attempt_at: null })
      .where('id', '=', id)
      .execute();
  } catch (error) {
    const message = isPgferryError(error) || error instanceof Error ? error.message : String(error);
    const responseStatus = isPgferryError(error) ? ((error.details?.responseStatus as number | null | undefined) ?? null) : null;
    const giveUp = delivery.attempts >= policy.maxAttempts;
    const delayMs = policy.backoffMs * 2 ** (delivery.attempts - 1);
    await db
      .updateTable('notification_deliveries')
      .set({
        status: giveUp ? 'failed' : 'pending',
        last_error: message.slice(0, 2000),
        response_status: responseStatus,
        next_attempt_at: giveUp ? null : new Date(Date.now() + delayMs),
      })
      .where('id', '=', id)
      .execute();
    logger.warn({ deliveryId: id, attempt: delivery.attempts, giveUp }, `notification delivery failed: ${message}`);
  }
}

/**
 * A backup job is overdue when its cron should have fired since its last successful backup
 * and `graceMs` has passed without a new one. Told once per overdue spell.
 */
export async function queueOverdueBackupNotifications(db: Kysely<StoreDatabase>, graceMs = 3600_000, now = new Date()): Promise<number> {
  const jobs = await db
    .selectFrom('backup_jobs')
    .select(['id', 'name', 'cron', 'timezone', 'created_at'])
    .where('enabled', '=', true)
    .where('cron', 'is not', null)
    .execute();
  let queued = 0;
  for (const job of jobs) {
    const last = await db
      .selectFrom('runs')
      .select((eb) => eb.fn.max('finished_at').as('at'))
      .where('backup_job_id', '=', job.id)
      .where('status', '=', 'succeeded')
      .executeTakeFirst();
    const lastSuccess = (last?.at as Date | null | undefined) ?? null;
    const expected = nextFireTime(job.cron as string, job.timezone, lastSuccess ?? job.created_at);
    if (!expected || now.getTime() < expected.getTime() + graceMs) continue;
    const already = await db
      .selectFrom('notification_deliveries')
      .select('id')
      .where('event', '=', 'backup_overdue')
      .where(sql<boolean>`payload->'job'->>'id' = ${job.id}`)
      .where('created_at', '>', lastSuccess ?? job.created_at)
      .executeTakeFirst();
    if (already) continue;
    const channels = (await jobChannels(db, { sync_job_id: null, backup_job_id: job.id })).filter((channel) => channel.events.includes('backup_overdue'));
    queued += await queueDeliveries(db, channels.map((channel) => channel.id), null, overduePayload(job, lastSuccess, expected));
  }
  return queued;
}
