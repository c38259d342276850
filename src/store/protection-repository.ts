import { type Selectable, sql } from 'kysely';

import type { Compression } from '../engine/archive/compression.js';
import { PgferryError } from '../errors/pgferry-error.js';
import type { StoreDb } from './repository-helpers.js';
import type { StoreDatabase } from './store-types.js';

export type ProtectionRow = Selectable<StoreDatabase['connection_protection']>;

/** A protection with the names a person reads (connection, storage) and whether a worker streams it now. */
export interface ProtectionListing extends ProtectionRow {
  connection_name: string;
  storage_name: string;
  streaming: boolean;
  channel_ids: string[];
}

export interface ProtectionSettings {
  storage_id: string;
  slot_name: string;
  compression: Compression;
  encrypt: boolean;
  lag_seconds_alert: number | null;
  retained_bytes_alert: number | null;
  drill_cron: string | null;
  drill_timezone: string;
  drill_next_fire_at: Date | null;
  keep_last: number | null;
  keep_daily: number | null;
  keep_weekly: number | null;
  keep_monthly: number | null;
}

/**
 * Turns protection on (or changes its settings): the row is active again whatever state its
 * slot was in, and `updated_at` moves so a streamer running under the old settings restarts.
 */
export async function saveProtection(db: StoreDb, connectionId: string, settings: ProtectionSettings): Promise<void> {
  await db
    .insertInto('connection_protection')
    .values({ connection_id: connectionId, ...settings })
    .onConflict((conflict) =>
      conflict.column('connection_id').doUpdateSet({ ...settings, enabled: true, slot_state: 'active', updated_at: sql<Date>`clock_timestamp()`, lag_alerted_at: null, retained_alerted_at: null }),
    )
    .execute();
}

export async function setProtectionChannels(db: StoreDb, connectionId: string, channelIds: string[]): Promise<void> {
  await db.deleteFrom('connection_protection_channels').where('connection_id', '=', connectionId).execute();
  if (channelIds.length > 0) await db.insertInto('connection_protection_channels').values(channelIds.map((channel_id) => ({ connection_id: connectionId, channel_id }))).execute();
}

/** Marks the protection off: its streamer stops at the next heartbeat and its slot is to be dropped. Returns whether it was on. */
export async function disableProtection(db: StoreDb, connectionId: string): Promise<boolean> {
  const result = await db
    .updateTable('connection_protection')
    .set({ enabled: false, slot_state: 'dropping', updated_at: sql<Date>`clock_timestamp()` })
    .where('connection_id', '=', connectionId)
    .where('slot_state', '=', 'active')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export async function markSlotDropped(db: StoreDb, connectionId: string): Promise<void> {
  await db
    .updateTable('connection_protection')
    .set({ slot_state: 'dropped', lease_worker_id: null, lease_expires_at: null, progress: null, progress_at: null, updated_at: sql<Date>`clock_timestamp()` })
    .where('connection_id', '=', connectionId)
    .where('slot_state', '=', 'dropping')
    .execute();
}

const listing = (db: StoreDb) =>
  db
    .selectFrom('connection_protection as p')
    .innerJoin('connections as c', 'c.id', 'p.connection_id')
    .innerJoin('storages as s', 's.id', 'p.storage_id')
    .selectAll('p')
    .select((eb) => [
      'c.name as connection_name',
      's.name as storage_name',
      sql<boolean>`(p.lease_worker_id IS NOT NULL AND p.lease_expires_at >= now() AND p.slot_state = 'active')`.as('streaming'),
      eb
        .selectFrom('connection_protection_channels as link')
        .select(sql<string[]>`coalesce(array_agg(link.channel_id ORDER BY link.channel_id), '{}')`.as('ids'))
        .whereRef('link.connection_id', '=', 'p.connection_id')
        .as('channel_ids'),
    ]);

export async function findProtection(db: StoreDb, connectionId: string): Promise<ProtectionListing | undefined> {
  const row = await listing(db).where('p.connection_id', '=', connectionId).executeTakeFirst();
  return row ? { ...row, channel_ids: row.channel_ids ?? [] } : undefined;
}

export async function listProtections(db: StoreDb): Promise<ProtectionListing[]> {
  const rows = await listing(db).orderBy('c.name').execute();
  return rows.map((row) => ({ ...row, channel_ids: row.channel_ids ?? [] }));
}

/**
 * Takes the lease of up to `limit` protections nobody holds (or whose holder stopped
 * renewing): active ones to stream, disabled ones whose slot is still to be dropped. SKIP
 * LOCKED, so two workers never take the same one; the lease is the only lock.
 */
export async function claimProtectionLeases(db: StoreDb, workerId: string, limit: number, leaseMs: number): Promise<string[]> {
  if (limit <= 0) return [];
  const claimed = await sql<{ connection_id: string }>`
    UPDATE connection_protection
    SET lease_worker_id = ${workerId}, lease_expires_at = now() + make_interval(secs => ${leaseMs / 1000})
    WHERE connection_id IN (
      SELECT connection_id FROM connection_protection
      WHERE slot_state <> 'dropped' AND (lease_expires_at IS NULL OR lease_expires_at < now())
      ORDER BY lease_expires_at NULLS FIRST
      FOR UPDATE SKIP LOCKED
      LIMIT ${limit}
    )
    RETURNING connection_id`.execute(db);
  return claimed.rows.map((row) => row.connection_id);
}

/** Takes one protection's lease when nobody holds it (to drop its slot without a worker). */
export async function claimProtectionLease(db: StoreDb, holder: string, connectionId: string, leaseMs: number): Promise<boolean> {
  const result = await db
    .updateTable('connection_protection')
    .set({ lease_worker_id: holder, lease_expires_at: sql<Date>`now() + make_interval(secs => ${leaseMs / 1000})` })
    .where('connection_id', '=', connectionId)
    .where((eb) => eb.or([eb('lease_expires_at', 'is', null), eb('lease_expires_at', '<', sql<Date>`now()`)]))
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/**
 * Extends the leases this worker still holds; answers each renewed protection's `updated_at`
 * (a change means new settings). Ids not answered were disabled or taken over: their
 * streamers must stop. Only active protections are renewed (a slot drop is brief and unleased after).
 */
export async function renewProtectionLeases(db: StoreDb, workerId: string, connectionIds: string[], leaseMs: number): Promise<Map<string, Date>> {
  if (connectionIds.length === 0) return new Map();
  const renewed = await sql<{ connection_id: string; updated_at: Date }>`
    UPDATE connection_protection
    SET lease_expires_at = now() + make_interval(secs => ${leaseMs / 1000})
    WHERE connection_id = ANY(${connectionIds}::uuid[])
      AND lease_worker_id = ${workerId} AND lease_expires_at >= now() AND slot_state = 'active'
    RETURNING connection_id, updated_at`.execute(db);
  return new Map(renewed.rows.map((row) => [row.connection_id, row.updated_at]));
}

/** Gives the lease up unless another worker holds it by now; `delayMs` keeps anyone from taking it again for that long (after a failure). */
export async function releaseProtectionLease(db: StoreDb, workerId: string, connectionId: string, delayMs = 0): Promise<void> {
  await db
    .updateTable('connection_protection')
    .set({ lease_worker_id: null, lease_expires_at: delayMs > 0 ? sql<Date>`now() + make_interval(secs => ${delayMs / 1000})` : null })
    .where('connection_id', '=', connectionId)
    .where('lease_worker_id', '=', workerId)
    .execute();
}

/** Stores the latest progress, only while this worker holds the lease (a stale streamer writes nothing). Returns whether it was stored. */
export async function saveProtectionProgress(db: StoreDb, workerId: string, connectionId: string, progress: Record<string, unknown>): Promise<boolean> {
  const result = await db
    .updateTable('connection_protection')
    .set({ progress: JSON.stringify(progress), progress_at: new Date() })
    .where('connection_id', '=', connectionId)
    .where('lease_worker_id', '=', workerId)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export async function recordProtectionError(db: StoreDb, connectionId: string, code: string | null, message: string | null): Promise<void> {
  await db
    .updateTable('connection_protection')
    .set({ last_error_code: code, last_error_message: message === null ? null : message.slice(0, 4000), last_error_at: code === null ? null : new Date() })
    .where('connection_id', '=', connectionId)
    .execute();
}

/** Which worker streams the connection now (null when nobody does). */
export async function protectionLeaseHolder(db: StoreDb, connectionId: string): Promise<string | null> {
  const row = await db
    .selectFrom('connection_protection')
    .select(['lease_worker_id'])
    .where('connection_id', '=', connectionId)
    .where('lease_expires_at', '>=', sql<Date>`now()`)
    .executeTakeFirst();
  return row?.lease_worker_id ?? null;
}

/**
 * Refuses to delete a connection or storage that a protection still uses (its slot would
 * retain WAL with nobody streaming); a protection whose slot is dropped goes with it.
 */
export async function releaseProtectionReferences(db: StoreDb, column: 'connection_id' | 'storage_id', id: string, what: string): Promise<void> {
  const rows = await db
    .selectFrom('connection_protection as p')
    .innerJoin('connections as c', 'c.id', 'p.connection_id')
    .select(['c.name', 'p.slot_state'])
    .where(`p.${column}`, '=', id)
    .execute();
  const live = rows.filter((row) => row.slot_state !== 'dropped');
  if (live.length > 0) {
    throw new PgferryError('PGF_CONFLICT', `${what} is used by the continuous protection of ${live.map((row) => `connection "${row.name}"`).join(', ')}; turn it off first (pgferry protection disable CONNECTION) and let its slot be dropped`, {
      details: { protections: live.map((row) => row.name) },
    });
  }
  await db.deleteFrom('connection_protection').where(column, '=', id).execute();
}
