import type { Kysely } from 'kysely';

import { isPgferryError } from '../errors/pgferry-error.js';
import type { Logger } from '../logger.js';
import { type OutboundCheck, allowAnyOutbound } from '../net/outbound-guard.js';
import type { SecretBox } from '../secrets/secret-box.js';
import type { NotificationChannelRow } from '../store/notification-channel-repository.js';
import { channelSendConfig } from './channel-service.js';
import type { RunRow, StoreDatabase } from '../store/store-types.js';
import type { ChannelKind } from './channel-kinds.js';
import { type DeliveryPolicy, defaultDeliveryPolicy, deliverDueNotifications, queueOverdueBackupNotifications, queueRunNotifications } from './notification-dispatcher.js';
import { testPayload } from './notification-payload.js';
import { type FollowFigures, queueFollowAlerts, queueFollowFailure } from './follow-alerts.js';
import { type ProtectionAlertFigures, queueProtectionAlerts } from './protection-alerts.js';
import { sendNotification } from './send-notification.js';

/** What a worker calls (its JobWorkerHooks): notifications sit below the jobs layer and do not import it. */
export interface NotificationHooks {
  runFinished(run: RunRow): Promise<void>;
  followProgress(jobId: string, figures: FollowFigures): Promise<void>;
  followFailed(jobId: string, code: string, message: string): Promise<void>;
  poll(): Promise<void>;
  maintenance(): Promise<void>;
  protectionProgress(connectionId: string, figures: ProtectionAlertFigures): Promise<void>;
}

/** Wires notifications into a worker: queue on run end, start sending on each poll (not awaited), overdue checks in maintenance. */
export function notificationHooks(
  db: Kysely<StoreDatabase>,
  secrets: SecretBox,
  logger: Logger,
  policy: DeliveryPolicy = defaultDeliveryPolicy,
  outbound: OutboundCheck = allowAnyOutbound,
): NotificationHooks {
  let sending = false;
  const deliver = async () => {
    if (sending) return;
    sending = true;
    try {
      while ((await deliverDueNotifications(db, secrets, logger, policy, { outbound })) > 0) {
        // keep going while there is a backlog
      }
    } finally {
      sending = false;
    }
  };
  return {
    runFinished: async (run) => {
      if ((await queueRunNotifications(db, run)) > 0) void deliver().catch((error: unknown) => logger.warn({ err: error }, 'notification delivery failed'));
    },
    followFailed: async (jobId, code, message) => {
      if ((await queueFollowFailure(db, jobId, code, message)) > 0) void deliver().catch((error: unknown) => logger.warn({ err: error }, 'notification delivery failed'));
    },
    followProgress: async (jobId, figures) => {
      if ((await queueFollowAlerts(db, jobId, figures)) > 0) void deliver().catch((error: unknown) => logger.warn({ err: error }, 'notification delivery failed'));
    },
    // Off the poll loop: a slow webhook (up to its 10 s timeout per attempt) must not hold up
    // cron ticks and claims; `sending` keeps one delivery pass at a time.
    poll: async () => {
      void deliver().catch((error: unknown) => logger.warn({ err: error }, 'notification delivery failed'));
    },
    maintenance: async () => {
      await queueOverdueBackupNotifications(db);
    },
    protectionProgress: async (connectionId, figures) => {
      if ((await queueProtectionAlerts(db, connectionId, figures)) > 0) void deliver().catch((error: unknown) => logger.warn({ err: error }, 'notification delivery failed'));
    },
  };
}

export interface TestDeliveryResult {
  delivered: boolean;
  delivery_id: string;
  response_status: number | null;
  error: string | null;
}

/**
 * Sends a test message now and records it as a delivery (event `test`). A destination the
 * allow-list forbids is recorded as failed and thrown (PGF_OUTBOUND_DENIED, 403), like a
 * refused connection test; any other failure is the answer's `error`.
 */
export async function sendTestNotification(
  db: Kysely<StoreDatabase>,
  secrets: SecretBox,
  channel: NotificationChannelRow,
  outbound: OutboundCheck = allowAnyOutbound,
): Promise<TestDeliveryResult> {
  const payload = testPayload(channel.name);
  const delivery = await db
    .insertInto('notification_deliveries')
    .values({ channel_id: channel.id, event: 'test', attempts: 1, payload: JSON.stringify(payload) })
    .returning('id')
    .executeTakeFirstOrThrow();
  const id = String(delivery.id);
  try {
    const result = await sendNotification(channel.kind as ChannelKind, channelSendConfig(channel, secrets), payload, id, { outbound, channelName: channel.name });
    await db
      .updateTable('notification_deliveries')
      .set({ status: 'delivered', delivered_at: new Date(), response_status: result.responseStatus })
      .where('id', '=', id)
      .execute();
    return { delivered: true, delivery_id: id, response_status: result.responseStatus, error: null };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const status = isPgferryError(error) ? ((error.details?.responseStatus as number | null | undefined) ?? null) : null;
    await db
      .updateTable('notification_deliveries')
      .set({ status: 'failed', last_error: message.slice(0, 2000), response_status: status })
      .where('id', '=', id)
      .execute();
    if (isPgferryError(error) && error.code === 'PGF_OUTBOUND_DENIED') throw error;
    return { delivered: false, delivery_id: id, response_status: status, error: message };
  }
}
