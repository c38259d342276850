import { createOutboundCheck } from '../../src/net/outbound-guard.js';
import { deliverDueNotifications } from '../../src/notifications/notification-dispatcher.js';
import type { NotificationPayload } from '../../src/notifications/notification-payload.js';
import type { TestApp } from '../helpers/test-app.js';
import { quietLogger } from '../jobs/job-fixtures.js';

/** Queues one delivery of `payload` to `channelId`, lets the worker's dispatcher try it once, and returns its row. */
export async function deliverQueued(t: TestApp, channelId: string, payload: NotificationPayload = { event: 'failed', title: 't', text: 't' }) {
  const queued = await t.store.db
    .insertInto('notification_deliveries')
    .values({ channel_id: channelId, event: payload.event, payload: JSON.stringify(payload), next_attempt_at: new Date() })
    .returning('id')
    .executeTakeFirstOrThrow();
  const outbound = createOutboundCheck(t.config.PGFERRY_OUTBOUND_ALLOW);
  await deliverDueNotifications(t.store.db, t.secrets, quietLogger(), { maxAttempts: 1, backoffMs: 10, leaseMs: 60_000 }, { outbound });
  return t.store.db.selectFrom('notification_deliveries').selectAll().where('id', '=', queued.id).executeTakeFirstOrThrow();
}
