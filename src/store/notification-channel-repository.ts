import { type Kysely, type Selectable, sql } from 'kysely';

import { PgferryError } from '../errors/pgferry-error.js';
import { validationError } from '../errors/validation-error.js';
import { type StoreDb, notFound, translateNameConflict } from './repository-helpers.js';
import { uuidPattern } from './uuid.js';
import { type HeaderView, headerViews, mergeHeaderPatch } from '../notifications/channel-headers.js';
import { type ChannelConfig, type ChannelEvent, type ChannelKind, channelConfigSchemas, secretFields, splitSecrets } from '../notifications/channel-kinds.js';
import type { SecretBox } from '../secrets/secret-box.js';
import type { StoreDatabase } from './store-types.js';

export type NotificationChannelRow = Selectable<StoreDatabase['notification_channels']>;

/** What the API shows: public settings, and which secrets are set (never their values). */
export interface NotificationChannelView {
  id: string;
  name: string;
  kind: ChannelKind;
  events: ChannelEvent[];
  enabled: boolean;
  config: ChannelConfig;
  secrets_set: string[];
  /** A webhook's custom headers: names only, their values are secrets. */
  headers: HeaderView[];
  created_at: Date;
  updated_at: Date;
}

export interface ChannelInput {
  name: string;
  kind: ChannelKind;
  events?: ChannelEvent[];
  enabled?: boolean;
  config: ChannelConfig;
}

export type ChannelPatch = Partial<Omit<ChannelInput, 'kind'>>;

// Sealed with the default (empty) associated data like every secret column, so that
// `pgferry keys rotate` and the start-up key check (src/store/secret-columns.ts) can open it.
function validateConfig(kind: ChannelKind, config: ChannelConfig): ChannelConfig {
  const parsed = channelConfigSchemas[kind].safeParse(config);
  if (!parsed.success) {
    throw validationError(parsed.error.issues.map((issue) => ({ field: ['config', ...issue.path.map(String)].join('.'), message: issue.message })));
  }
  const isEmptyObject = (value: unknown) => typeof value === 'object' && value !== null && Object.keys(value).length === 0;
  return Object.fromEntries(Object.entries(parsed.data).filter(([key, value]) => value !== null && value !== undefined && !(key === 'headers' && isEmptyObject(value))));
}

/** The public config as stored; an older pgferry kept webhook headers here, in the clear. */
function publicConfigOf(row: NotificationChannelRow): ChannelConfig {
  const { headers: _legacyHeaders, ...rest } = row.config;
  return rest;
}

/**
 * The sealed secrets, plus headers still stored in the clear by an older pgferry (sealed at
 * start by sealLegacyChannelHeaders, or at the channel's next update), so that they are
 * treated as secrets before that too.
 */
function openSecrets(row: NotificationChannelRow, secrets: SecretBox): ChannelConfig {
  const sealed = row.secret_encrypted ? (JSON.parse(secrets.open(row.secret_encrypted, `notification channel "${row.name}"`)) as ChannelConfig) : {};
  const legacy = row.config.headers;
  if (legacy === null || typeof legacy !== 'object' || Object.keys(legacy).length === 0) return sealed;
  return { ...sealed, headers: { ...(legacy as Record<string, string>), ...((sealed.headers as Record<string, string> | undefined) ?? {}) } };
}

export function toChannelView(row: NotificationChannelRow, secrets: SecretBox): NotificationChannelView {
  const stored = openSecrets(row, secrets);
  return {
    id: row.id,
    name: row.name,
    kind: row.kind as ChannelKind,
    events: row.events as ChannelEvent[],
    enabled: row.enabled,
    config: publicConfigOf(row),
    secrets_set: Object.keys(stored).sort(),
    headers: headerViews(stored.headers),
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

/** The full configuration, secrets included, for sending only. */
export function channelSendConfig(row: NotificationChannelRow, secrets: SecretBox): ChannelConfig {
  return { ...publicConfigOf(row), ...openSecrets(row, secrets) };
}

export async function createChannel(db: Kysely<StoreDatabase>, secrets: SecretBox, input: ChannelInput): Promise<NotificationChannelView> {
  const config = validateConfig(input.kind, input.config);
  const { publicConfig, secrets: secretValues } = splitSecrets(input.kind, config);
  try {
    const row = await db
      .insertInto('notification_channels')
      .values({
        name: input.name,
        kind: input.kind,
        config: JSON.stringify(publicConfig),
        secret_encrypted: Object.keys(secretValues).length > 0 ? secrets.seal(JSON.stringify(secretValues)) : null,
        events: input.events ?? ['failed'],
        enabled: input.enabled ?? true,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toChannelView(row, secrets);
  } catch (error) {
    throw translateNameConflict(error, 'notification channel', input.name);
  }
}

export async function getChannelRow(db: StoreDb, idOrName: string): Promise<NotificationChannelRow> {
  const row = await db
    .selectFrom('notification_channels')
    .selectAll()
    .where((eb) => (uuidPattern.test(idOrName) ? eb('id', '=', idOrName) : eb(sql`lower(name)`, '=', idOrName.toLowerCase())))
    .executeTakeFirst();
  if (!row) throw notFound('notification channel', idOrName);
  return row;
}

export async function listChannels(db: StoreDb, secrets: SecretBox, query: { page: number; page_size: number; kind?: ChannelKind | undefined }) {
  let base = db.selectFrom('notification_channels');
  if (query.kind) base = base.where('kind', '=', query.kind);
  const total = Number((await base.select((eb) => eb.fn.countAll().as('count')).executeTakeFirstOrThrow()).count);
  const rows = await base.selectAll().orderBy('name').orderBy('id').limit(query.page_size).offset((query.page - 1) * query.page_size).execute();
  return { items: rows.map((row) => toChannelView(row, secrets)), total };
}

/**
 * Config fields given replace the stored ones; a secret field left out keeps its stored
 * value, and `null` clears it. Webhook headers change one by one (see mergeHeaderPatch).
 */
export async function updateChannel(db: Kysely<StoreDatabase>, secrets: SecretBox, idOrName: string, patch: ChannelPatch): Promise<NotificationChannelView> {
  const row = await getChannelRow(db, idOrName);
  const kind = row.kind as ChannelKind;
  let values: Record<string, unknown> = {};
  if (patch.config) {
    const stored = channelSendConfig(row, secrets);
    const merged: ChannelConfig = { ...stored, ...patch.config };
    if (patch.config.headers !== undefined && patch.config.headers !== null) merged.headers = mergeHeaderPatch(stored.headers, patch.config.headers);
    for (const field of secretFields[kind]) if (patch.config[field] === null) delete merged[field];
    const { publicConfig, secrets: secretValues } = splitSecrets(kind, validateConfig(kind, merged));
    values = {
      config: JSON.stringify(publicConfig),
      secret_encrypted: Object.keys(secretValues).length > 0 ? secrets.seal(JSON.stringify(secretValues)) : null,
    };
  }
  try {
    const updated = await db
      .updateTable('notification_channels')
      .set({
        ...values,
        ...(patch.name !== undefined ? { name: patch.name } : {}),
        ...(patch.events !== undefined ? { events: patch.events } : {}),
        ...(patch.enabled !== undefined ? { enabled: patch.enabled } : {}),
        updated_at: new Date(),
      })
      .where('id', '=', row.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    return toChannelView(updated, secrets);
  } catch (error) {
    throw translateNameConflict(error, 'notification channel', patch.name);
  }
}

/**
 * Seals webhook headers an older pgferry stored in the clear in `config`. Run at start by
 * `serve` and `worker` (a migration cannot: it has no encryption key); returns how many
 * channels it sealed. Each row is re-read under a lock, so a concurrent update is not lost.
 */
export async function sealLegacyChannelHeaders(db: Kysely<StoreDatabase>, secrets: SecretBox): Promise<number> {
  const hasPlainHeaders = sql<boolean>`config ? 'headers'`;
  const candidates = await db.selectFrom('notification_channels').select('id').where(hasPlainHeaders).execute();
  let sealed = 0;
  for (const { id } of candidates) {
    sealed += await db.transaction().execute(async (tx) => {
      const row = await tx.selectFrom('notification_channels').selectAll().where('id', '=', id).where(hasPlainHeaders).forUpdate().executeTakeFirst();
      if (!row) return 0;
      const { publicConfig, secrets: secretValues } = splitSecrets(row.kind as ChannelKind, channelSendConfig(row, secrets));
      await tx
        .updateTable('notification_channels')
        .set({ config: JSON.stringify(publicConfig), secret_encrypted: Object.keys(secretValues).length > 0 ? secrets.seal(JSON.stringify(secretValues)) : null })
        .where('id', '=', id)
        .execute();
      return 1;
    });
  }
  return sealed;
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

export function assertChannelKind(kind: string): ChannelKind {
  if (!(kind in channelConfigSchemas)) throw new PgferryError('PGF_VALIDATION_FAILED', `unknown channel kind "${kind}"`);
  return kind as ChannelKind;
}
