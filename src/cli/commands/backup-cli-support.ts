import type pg from 'pg';

import type { ArchiveLocation } from '../../engine/archive/archive-files.js';
import { connectionConfigFromUrl, describeTarget } from '../../engine/connection-config.js';
import type { ArchiveStorage } from '../../engine/storage/archive-storage.js';
import { openStorage, parseLocation } from '../../engine/storage/open-storage.js';
import { PgferryError } from '../../errors/pgferry-error.js';
import type { SecretBox } from '../../secrets/secret-box.js';
import type { OpenedStore } from '../../store/open-store.js';
import type { StorageTarget } from '../../store/storage-repository.js';
import { isUuid } from '../../store/uuid.js';
import type { ArchiveSigningKey, ArchiveTrust } from '../../engine/archive/manifest-signature.js';
import { formatBytes } from '../../engine/format-bytes.js';
import type { CliContext } from '../cli-context.js';
import type { Config } from '../../config/config-schema.js';

/**
 * Backup commands work with URLs and paths alone; the metadata store (and its modules: Kysely
 * alone takes ~0.25 s to load) is opened only when a
 * saved connection or storage is named (and then backups, verifies and drills are recorded).
 */
export class LazyStore {
  #store: OpenedStore | undefined;
  #secrets: SecretBox | undefined;
  #cli: Promise<CliContext> | undefined;
  #config: Promise<Config> | undefined;

  get opened(): boolean {
    return this.#store !== undefined;
  }

  async get(): Promise<{ store: OpenedStore; secrets: SecretBox }> {
    const secrets = await this.secrets();
    if (!this.#store) {
      // Opened only when a saved name is used: URL/path-only runs skip the store.
      const { openStore } = await import('../../store/open-store.js');
      const { config } = await this.#context();
      this.#store = await openStore({ config, schema: config.PGFERRY_SCHEMA_MODE === 'auto' ? 'migrate' : 'check' });
    }
    return { store: this.#store, secrets };
  }

  /** This instance's encryption key (PGFERRY_ENCRYPTION_KEY, or the embedded key file), without opening the store. */
  async secrets(): Promise<SecretBox> {
    if (!this.#secrets) {
      const [{ resolveEncryptionKey }, { SecretBox }] = await Promise.all([import('../../secrets/encryption-key.js'), import('../../secrets/secret-box.js')]);
      // The logger (pino, ~40 ms to load) only if a key is generated: a restore starts sooner.
      const warn = {
        warn: (details: { file: string }, message: string) =>
          void this.#context().then(
            ({ logger }) => logger.warn(details, message),
            () => console.error(`${message} (${details.file})`),
          ),
      };
      this.#secrets = new SecretBox(await resolveEncryptionKey(await this.#loadConfig(), warn));
    }
    return this.#secrets;
  }

  /** Config and logger, made once (loaded lazily: URL/path-only runs never need them). */
  async #context(): Promise<CliContext> {
    this.#cli ??= import('../cli-context.js').then(({ createCliContext }) => createCliContext());
    return this.#cli;
  }

  /** The configuration alone (the same as the context's when both are made). */
  async #loadConfig(): Promise<Config> {
    this.#config ??= this.#cli ? this.#cli.then(({ config }) => config) : import('../../config/load-config.js').then(({ loadConfig }) => loadConfig());
    return this.#config;
  }

  /** What archives are signed and checked with: derived from the encryption key. */
  async trust(trustUnsigned = false): Promise<ArchiveTrust & { signingKey: ArchiveSigningKey }> {
    const { archiveSigningKeyOf } = await import('../../secrets/archive-signing-key.js');
    return { signingKey: archiveSigningKeyOf(await this.secrets()), trustUnsigned };
  }

  async close(): Promise<void> {
    await this.#store?.close();
    this.#store = undefined;
  }
}

export async function withLazyStore<T>(work: (lazy: LazyStore) => Promise<T>): Promise<T> {
  const lazy = new LazyStore();
  try {
    return await work(lazy);
  } finally {
    await lazy.close();
  }
}

const isUrl = (text: string) => /^postgres(ql)?:\/\//.test(text);

export interface ResolvedConnection {
  config: pg.ClientConfig;
  id?: string | undefined;
  name: string;
  protected: boolean;
}

/** A postgres:// URL or the name/id of a saved connection. */
export async function resolveConnection(text: string, lazy: LazyStore): Promise<ResolvedConnection> {
  if (isUrl(text)) {
    const config = connectionConfigFromUrl(text);
    return { config, name: describeTarget(config), protected: false };
  }
  const { store, secrets } = await lazy.get();
  const { loadConnectionTarget } = await import('../../store/connection-repository.js');
  const target = await loadConnectionTarget(store.db, secrets, text);
  return { config: target.config, id: target.id, name: target.name, protected: target.protected };
}

export interface ResolvedStorage {
  storage: ArchiveStorage;
  path: string;
  saved?: StorageTarget | undefined;
}

/** A directory, `s3://bucket/prefix`, `STORAGE` or `STORAGE:path` (a saved storage). */
export async function resolveStorage(text: string, lazy: LazyStore): Promise<ResolvedStorage> {
  const parsed = parseLocation(text);
  if (parsed) return { storage: openStorage(parsed.spec), path: parsed.path };
  const colon = text.indexOf(':');
  const name = colon === -1 ? text : text.slice(0, colon);
  const { store, secrets } = await lazy.get();
  const { loadStorageTarget } = await import('../../store/storage-repository.js');
  const saved = await loadStorageTarget(store.db, secrets, name);
  return { storage: openStorage(saved.spec), path: colon === -1 ? '' : text.slice(colon + 1), saved };
}

export interface ResolvedArchive {
  location: ArchiveLocation;
  saved?: StorageTarget | undefined;
  backupId?: string | undefined;
}


/** An archive directory, `s3://…/archive`, `STORAGE:path`, or a recorded backup's id. */
export async function resolveArchive(text: string, lazy: LazyStore): Promise<ResolvedArchive> {
  if (isUuid(text)) {
    const { store, secrets } = await lazy.get();
    const [{ getBackupRow }, { loadStorageTarget }] = await Promise.all([import('../../store/backup-repository.js'), import('../../store/storage-repository.js')]);
    const row = await getBackupRow(store.db, text);
    const saved = await loadStorageTarget(store.db, secrets, row.storage_id);
    return { location: { storage: openStorage(saved.spec), path: row.location }, saved, backupId: row.id };
  }
  const resolved = await resolveStorage(text, lazy);
  if (resolved.saved && !resolved.path) {
    throw new PgferryError('PGF_VALIDATION_FAILED', `"${text}" names a storage, not an archive; give STORAGE:path (see \`pgferry backups list --storage ${text}\`) or a backup id`);
  }
  let backupId: string | undefined;
  if (resolved.saved && lazy.opened) {
    const { store } = await lazy.get();
    const { findBackupByLocation } = await import('../../store/backup-repository.js');
    backupId = (await findBackupByLocation(store.db, resolved.saved.id, resolved.path))?.id;
  }
  return { location: { storage: resolved.storage, path: resolved.path }, saved: resolved.saved, backupId };
}

/** The archive secret: --encryption-key-env VAR, else PGFERRY_BACKUP_KEY, else the storage's. */
export function encryptionSecret(envName: string | undefined, saved: StorageTarget | undefined): string | undefined {
  if (envName) {
    const value = process.env[envName];
    if (!value) throw new PgferryError('PGF_ENCRYPTION_KEY_REQUIRED', `environment variable ${envName} (from --encryption-key-env) is empty or unset`);
    return value;
  }
  return process.env.PGFERRY_BACKUP_KEY || saved?.encryptionSecret;
}

export const json = (value: unknown) => console.log(JSON.stringify(value, null, 2));

export function list(value: string, previous: string[] = []): string[] {
  return [...previous, ...value.split(',').map((item) => item.trim()).filter(Boolean)];
}

export function positiveInt(flag: string) {
  return (value: string): number => {
    if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 64) {
      throw new PgferryError('PGF_VALIDATION_FAILED', `${flag}: expected an integer between 1 and 64`);
    }
    return Number(value);
  };
}

/** Progress on stderr, one line per event (stdout stays for the result). */
export function progressPrinter(enabled: boolean) {
  return (event: { type: string; [key: string]: unknown }) => {
    if (!enabled) return;
    if (event.type === 'table:done') process.stderr.write(`  ${String(event.table)}: ${String(event.rows)} rows\n`);
    else if (event.type === 'file:progress') process.stderr.write(`  ${String(event.file)}: ${formatBytes(Number(event.bytes))} read\n`);
    else if (event.type === 'file:done') process.stderr.write(`  ${String(event.file)}: ${String(event.bytes)} bytes read, ${String(event.storedBytes)} stored\n`);
    else if (event.type === 'archive:start') process.stderr.write(`backing up ${String(event.database)} to ${String(event.location)}\n`);
    else if (event.type === 'phase') process.stderr.write(`${String(event.phase)}\n`);
    else if (event.type === 'log') process.stderr.write(`${String(event.level)}: ${String(event.message)}\n`);
  };
}
