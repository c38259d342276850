import type { Kysely } from 'kysely';

import type { StoreDatabase } from '../store/store-types.js';
import { queueDeliveries } from './notification-dispatcher.js';
import { protectionAlertPayload } from './notification-payload.js';

export interface ProtectionAlertFigures {
  lagBytes: number | null;
  lagSeconds: number | null;
  retainedBytes: number | null;
}

type Column = 'lag_alerted_at' | 'retained_alerted_at';

/**
 * Tells the protection's channels when the lag or the slot's retained WAL passes its
 * threshold (`protection_lag`, `protection_retained`), once per crossing (marked in
 * connection_protection), and again when it is back under it (`protection_recovered`).
 * Returns the deliveries queued.
 */
export async function queueProtectionAlerts(db: Kysely<StoreDatabase>, connectionId: string, figures: ProtectionAlertFigures): Promise<number> {
  const row = await db
    .selectFrom('connection_protection as p')
    .innerJoin('connections as c', 'c.id', 'p.connection_id')
    .select(['c.id', 'c.name', 'p.lag_seconds_alert', 'p.retained_bytes_alert', 'p.lag_alerted_at', 'p.retained_alerted_at'])
    .where('p.connection_id', '=', connectionId)
    .where('p.slot_state', '=', 'active')
    .executeTakeFirst();
  if (!row) return 0;
  const checks: { measure: 'lag' | 'retained'; threshold: number | null; value: number | null; alerted: boolean; column: Column }[] = [
    { measure: 'lag', threshold: row.lag_seconds_alert, value: figures.lagSeconds, alerted: row.lag_alerted_at !== null, column: 'lag_alerted_at' },
    { measure: 'retained', threshold: row.retained_bytes_alert === null ? null : Number(row.retained_bytes_alert), value: figures.retainedBytes, alerted: row.retained_alerted_at !== null, column: 'retained_alerted_at' },
  ];
  let queued = 0;
  for (const check of checks) {
    if (check.threshold === null || check.value === null) continue;
    const over = check.value > check.threshold;
    if (over === check.alerted) continue;
    // Marked first, conditionally: two workers measuring at once tell the channels once.
    const marked = await db
      .updateTable('connection_protection')
      .set({ [check.column]: over ? new Date() : null })
      .where('connection_id', '=', connectionId)
      .where(check.column, over ? 'is' : 'is not', null)
      .executeTakeFirst();
    if (Number(marked.numUpdatedRows) === 0) continue;
    const event = over ? (check.measure === 'lag' ? 'protection_lag' : 'protection_retained') : 'protection_recovered';
    const channels = await db
      .selectFrom('connection_protection_channels as link')
      .innerJoin('notification_channels as channel', 'channel.id', 'link.channel_id')
      .select(['channel.id', 'channel.events'])
      .where('link.connection_id', '=', connectionId)
      .where('channel.enabled', '=', true)
      .execute();
    const targets = channels.filter((channel) => channel.events.includes(event)).map((channel) => channel.id);
    queued += await queueDeliveries(db, targets, null, protectionAlertPayload(event, row, figures, { measure: check.measure, threshold: check.threshold }));
  }
  return queued;
}
