import type { Kysely } from 'kysely';

import type { Compression } from '../../engine/archive/compression.js';
import { walSlotName } from '../../engine/wal/replication-session.js';
import { PgferryError } from '../../errors/pgferry-error.js';
import { validationError } from '../../errors/validation-error.js';
import type { OutboundCheck } from '../../net/outbound-guard.js';
import type { SecretBox } from '../../secrets/secret-box.js';
import { getConnectionRow } from '../../store/connection-repository.js';
import {
  type ProtectionListing,
  claimProtectionLease,
  disableProtection as markDisabled,
  findProtection,
  listProtections,
  releaseProtectionLease,
  saveProtection,
  setProtectionChannels,
} from '../../store/protection-repository.js';
import { nextFireTime, validateCron } from '../../cron/cron-schedule.js';
import { missingReferences } from '../../store/repository-helpers.js';
import { getStorageRow } from '../../store/storage-repository.js';
import type { StoreDatabase } from '../../store/store-types.js';
import { dropProtectionSlot } from './drop-protection-slot.js';
import { type ProtectionView, protectionView } from './protection-view.js';

export interface ProtectionInput {
  storage: string;
  compression?: Compression | undefined;
  encrypt?: boolean | undefined;
  lag_seconds_alert?: number | null | undefined;
  retained_bytes_alert?: number | null | undefined;
  channel_ids?: string[] | undefined;
  /** A physical drill on this schedule (null: none); keep_* prune after a drill that passed. */
  drill_cron?: string | null | undefined;
  drill_timezone?: string | undefined;
  keep_last?: number | null | undefined;
  keep_daily?: number | null | undefined;
  keep_weekly?: number | null | undefined;
  keep_monthly?: number | null | undefined;
}

/** The new value when given, else the current one (null when there is none). */
const kept = <T>(given: T | null | undefined, current: T | null | undefined): T | null => (given === undefined ? (current ?? null) : given);

function notProtected(connection: string): PgferryError {
  return new PgferryError('PGF_NOT_FOUND', `connection "${connection}" has no continuous protection; turn it on with \`pgferry protection enable ${connection} --storage STORAGE\` or PUT /api/v1/connections/{id}/protection`);
}

/** Turns continuous protection on for a connection, or changes its settings (a running stream restarts with them). */
export async function enableProtection(db: Kysely<StoreDatabase>, connectionIdOrName: string, input: ProtectionInput): Promise<ProtectionView> {
  const connection = await getConnectionRow(db, connectionIdOrName);
  const storage = await getStorageRow(db, input.storage);
  const problems = await missingReferences(db, 'notification_channels', 'channel_ids', input.channel_ids ?? []);
  if (problems.length > 0) throw validationError(problems);
  if (input.encrypt && !storage.secret_encrypted) {
    throw new PgferryError('PGF_ENCRYPTION_KEY_REQUIRED', `storage "${storage.name}" has no encryption secret, so WAL of connection "${connection.name}" cannot be encrypted there; set one on the storage or leave encryption off`);
  }
  const existing = await findProtection(db, connection.id);
  const drillCron = kept(input.drill_cron, existing?.drill_cron);
  const drillTimezone = input.drill_timezone ?? existing?.drill_timezone ?? 'UTC';
  if (drillCron !== null) validateCron(drillCron, drillTimezone);
  await db.transaction().execute(async (trx) => {
    await saveProtection(trx, connection.id, {
      storage_id: storage.id,
      slot_name: walSlotName(connection.id),
      compression: input.compression ?? existing?.compression ?? 'gzip',
      encrypt: input.encrypt ?? existing?.encrypt ?? false,
      lag_seconds_alert: input.lag_seconds_alert === undefined ? (existing?.lag_seconds_alert ?? null) : input.lag_seconds_alert,
      retained_bytes_alert: input.retained_bytes_alert === undefined ? (existing?.retained_bytes_alert == null ? null : Number(existing.retained_bytes_alert)) : input.retained_bytes_alert,
      drill_cron: drillCron,
      drill_timezone: drillTimezone,
      drill_next_fire_at: drillCron === null ? null : nextFireTime(drillCron, drillTimezone),
      keep_last: kept(input.keep_last, existing?.keep_last),
      keep_daily: kept(input.keep_daily, existing?.keep_daily),
      keep_weekly: kept(input.keep_weekly, existing?.keep_weekly),
      keep_monthly: kept(input.keep_monthly, existing?.keep_monthly),
    });
    if (input.channel_ids !== undefined) await setProtectionChannels(trx, connection.id, input.channel_ids);
  });
  return getProtection(db, connection.id);
}

/**
 * Turns protection off: the streamer stops at its worker's next heartbeat and that worker
 * drops the slot. When no worker streams the connection, the slot is dropped here at once.
 */
export async function disableProtection(db: Kysely<StoreDatabase>, secrets: SecretBox, outbound: OutboundCheck, connectionIdOrName: string): Promise<ProtectionView> {
  const connection = await getConnectionRow(db, connectionIdOrName);
  const before = await findProtection(db, connection.id);
  if (!before) throw notProtected(connection.name);
  await markDisabled(db, connection.id);
  const holder = `disable:${process.pid}:${connection.id}`;
  // Only a free lease is taken: a worker holding it drops the slot once its stream has ended.
  if (await claimProtectionLease(db, holder, connection.id, 60_000)) {
    const row = await db.selectFrom('connection_protection').selectAll().where('connection_id', '=', connection.id).executeTakeFirstOrThrow();
    try {
      if (row.slot_state === 'dropping') await dropProtectionSlot(db, secrets, outbound, row);
    } finally {
      await releaseProtectionLease(db, holder, connection.id);
    }
  }
  return getProtection(db, connection.id);
}

export async function getProtection(db: Kysely<StoreDatabase>, connectionIdOrName: string): Promise<ProtectionView> {
  const connection = await getConnectionRow(db, connectionIdOrName);
  const row = await findProtection(db, connection.id);
  if (!row) throw notProtected(connection.name);
  return protectionView(row);
}

export async function listProtectionViews(db: Kysely<StoreDatabase>): Promise<ProtectionView[]> {
  return (await listProtections(db)).map((row: ProtectionListing) => protectionView(row));
}
