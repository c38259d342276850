import type { Kysely } from 'kysely';

import { validationErrorFromIssues } from '../errors/validation-error.js';
import type { SecretBox } from '../secrets/secret-box.js';
import {
  type NotificationChannelRow,
  channelIdsWithPlainHeaders,
  getChannelRow,
  insertChannelRow,
  listChannelRows,
  updateChannelRow,
} from '../store/notification-channel-repository.js';
import type { StoreDb } from '../store/repository-helpers.js';
import type { StoreDatabase } from '../store/store-types.js';
import { type HeaderView, headerViews, mergeHeaderPatch } from './channel-headers.js';
import { type ChannelConfig, type ChannelEvent, type ChannelKind, channelConfigSchemas, replacedFields, secretFields, splitSecrets } from './channel-kinds.js';

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

function validateConfig(kind: ChannelKind, config: ChannelConfig): ChannelConfig {
  const parsed = channelConfigSchemas[kind].safeParse(config);
  if (!parsed.success) throw validationErrorFromIssues(parsed.error.issues, ['config']);
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
 * treated as secrets before that too. Sealed with the default (empty) associated data like
 * every secret column, so that `pgferry keys rotate` and the start-up key check can open it.
 */
function openSecrets(row: NotificationChannelRow, secrets: SecretBox): ChannelConfig {
  const sealed = row.secret_encrypted ? (JSON.parse(secrets.open(row.secret_encrypted, `notification channel "${row.name}"`)) as ChannelConfig) : {};
  const legacy = row.config.headers;
  if (legacy === null || typeof legacy !== 'object' || Object.keys(legacy).length === 0) return sealed;
  return { ...sealed, headers: { ...(legacy as Record<string, string>), ...((sealed.headers as Record<string, string> | undefined) ?? {}) } };
}

/** The public and the sealed columns of a validated config. */
function storedColumns(kind: ChannelKind, config: ChannelConfig, secrets: SecretBox): { config: string; secret_encrypted: string | null } {
  const { publicConfig, secrets: secretValues } = splitSecrets(kind, config);
  return { config: JSON.stringify(publicConfig), secret_encrypted: Object.keys(secretValues).length > 0 ? secrets.seal(JSON.stringify(secretValues)) : null };
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

export async function createChannel(db: StoreDb, secrets: SecretBox, input: ChannelInput): Promise<NotificationChannelView> {
  const row = await insertChannelRow(db, {
    name: input.name,
    kind: input.kind,
    ...storedColumns(input.kind, validateConfig(input.kind, input.config), secrets),
    events: input.events ?? ['failed'],
    enabled: input.enabled ?? true,
  });
  return toChannelView(row, secrets);
}

export async function listChannels(db: StoreDb, secrets: SecretBox, query: { page: number; page_size: number; kind?: ChannelKind | undefined }) {
  const { rows, total } = await listChannelRows(db, query);
  return { items: rows.map((row) => toChannelView(row, secrets)), total };
}

/**
 * Config fields given replace the stored ones; a secret field left out keeps its stored
 * value, and `null` clears it; a field setting another way of signing in drops the stored
 * one (replacedFields). Webhook headers change one by one (see mergeHeaderPatch).
 * The row is locked while it is read, merged and written, so two edits never lose one.
 */
export async function updateChannel(db: Kysely<StoreDatabase>, secrets: SecretBox, idOrName: string, patch: ChannelPatch): Promise<NotificationChannelView> {
  const updated = await db.transaction().execute(async (tx) => {
    const row = await getChannelRow(tx, idOrName, { forUpdate: true });
    const kind = row.kind as ChannelKind;
    let columns = {};
    if (patch.config) {
      const stored = channelSendConfig(row, secrets);
      const merged: ChannelConfig = { ...stored, ...patch.config };
      if (patch.config.headers !== undefined && patch.config.headers !== null) merged.headers = mergeHeaderPatch(stored.headers, patch.config.headers);
      for (const [field, replaced] of Object.entries(replacedFields[kind] ?? {})) {
        if (patch.config[field] === null || patch.config[field] === undefined) continue;
        for (const other of replaced) if (!(other in patch.config)) delete merged[other];
      }
      for (const field of secretFields[kind]) if (patch.config[field] === null) delete merged[field];
      columns = storedColumns(kind, validateConfig(kind, merged), secrets);
    }
    return updateChannelRow(tx, row.id, {
      ...columns,
      ...(patch.name !== undefined ? { name: patch.name } : {}),
      ...(patch.events !== undefined ? { events: patch.events } : {}),
      ...(patch.enabled !== undefined ? { enabled: patch.enabled } : {}),
    });
  });
  return toChannelView(updated, secrets);
}

/**
 * Seals webhook headers an older pgferry stored in the clear in `config`. Run at start by
 * `serve` and `worker` (a migration cannot: it has no encryption key); returns how many
 * channels it sealed. Each row is re-read under a lock, so a concurrent update is not lost.
 */
export async function sealLegacyChannelHeaders(db: Kysely<StoreDatabase>, secrets: SecretBox): Promise<number> {
  let sealed = 0;
  for (const id of await channelIdsWithPlainHeaders(db)) {
    sealed += await db.transaction().execute(async (tx) => {
      const row = await getChannelRow(tx, id, { forUpdate: true });
      if (row.config.headers === undefined) return 0;
      await updateChannelRow(tx, id, storedColumns(row.kind as ChannelKind, channelSendConfig(row, secrets), secrets));
      return 1;
    });
  }
  return sealed;
}
