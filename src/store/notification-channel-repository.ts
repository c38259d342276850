import { type Insertable, type Selectable, type Updateable, sql } from 'kysely';

import { type StoreDb, notFound, translateNameConflict } from './repository-helpers.js';
import { uuidPattern } from './uuid.js';
import type { StoreDatabase } from './store-types.js';

// Rows of notification_channels and their deliveries, as stored. What a channel's config may
// hold, which parts are secret and how a patch merges live in src/notifications/channel-service.ts.

export type NotificationChannelRow = Selectable<StoreDatabase['notification_channels']>;
type ChannelTable = StoreDatabase['notification_channels'];

export async function insertChannelRow(db: StoreDb, values: Insertable<ChannelTable>): Promise<NotificationChannelRow> {
  try {
    return await db.insertInto('notification_channels').values(values).returningAll().executeTakeFirstOrThrow();
  } catch (error) {
    throw translateNameConflict(error, 'notification channel', values.name);
  }
}

/** One channel by id or (case-insensitive) name; `forUpdate` locks it until the transaction ends. */
export async function getChannelRow(db: StoreDb, idOrName: string, options: { forUpdate?: boolean } = {}): Promise<NotificationChannelRow> {
  let query = db
    .selectFrom('notification_channels')
    .selectAll()
    .where((eb) => (uuidPattern.test(idOrName) ? eb('id', '=', idOrName) : eb(sql`lower(name)`, '=', idOrName.toLowerCase())));
  if (options.forUpdate) query = query.forUpdate();
  const row = await query.executeTakeFirst();
  if (!row) throw notFound('notification channel', idOrName);
  return row;
}

export async function listChannelRows(db: StoreDb, query: { page: number; page_size: number; kind?: string | undefined }): Promise<{ rows: NotificationChannelRow[]; total: number }> {
  let base = db.selectFrom('notification_channels');
  if (query.kind) base = base.where('kind', '=', query.kind);
  const total = Number((await base.select((eb) => eb.fn.countAll().as('count')).executeTakeFirstOrThrow()).count);
  const rows = await base.selectAll().orderBy('name').orderBy('id').limit(query.page_size).offset((query.page - 1) * query.page_size).execute();
  return { rows, total };
}

export async function updateChannelRow(db: StoreDb, id: string, values: Updateable<ChannelTable>): Promise<NotificationChannelRow> {
  try {
    return await db
      .updateTable('notification_channels')
      .set({ ...values, updated_at: new Date() })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
  } catch (error) {
    throw translateNameConflict(error, 'notification channel', typeof values.name === 'string' ? values.name : undefined);
  }
}

/** Ids of channels whose config still holds webhook headers in the clear (stored by an older pgferry). */
export async function channelIdsWithPlainHeaders(db: StoreDb): Promise<string[]> {
  const rows = await db.selectFrom('notification_channels').select('id').where(sql<boolean>`config ? 'headers'`).execute();
  return rows.map((row) => row.id);
}

export async function deleteChannel(db: StoreDb, idOrName: string): Promise<void> {
  const row = await getChannelRow(db, idOrName);
  await db.deleteFrom('notification_channels').where('id', '=', row.id).execute();
}

export async function listDeliveries(db: StoreDb, channelId: string, limit: number) {
  return db
    .selectFrom('notification_deliveries')
    .select(['id', 'run_id', 'event', 'status', 'attempts', 'response_status', 'last_error', 'created_at', 'delivered_at', 'next_attempt_at'])
    .where('channel_id', '=', channelId)
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
}
