import path from 'node:path';

import type { Kysely, Selectable } from 'kysely';
import { z } from 'zod';

import type { StorageSpec } from '../engine/storage/archive-storage.js';
import { PgferryError } from '../errors/pgferry-error.js';
import { fieldProblem } from '../errors/validation-error.js';
import type { SecretBox } from '../secrets/secret-box.js';
import { containsPattern } from './like-pattern.js';
import type { StoreDatabase } from './store-types.js';
import type { StorageKind } from '../engine/storage/archive-storage.js';
import { isUuid } from './uuid.js';

/** Non-secret settings of a storage, as stored in `storages.config`. */
export const localConfigSchema = z.object({
  path: z.string().trim().min(1).max(1000).refine((value) => path.isAbsolute(value), { error: 'expected an absolute directory path', params: { code: 'absolute_path' } }),
});

export const s3ConfigSchema = z.object({
  bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { error: 'expected an S3 bucket name (3–63 lowercase letters, digits, dots, hyphens)' }),
  prefix: z.string().max(500).optional(),
  region: z.string().max(50).optional(),
  endpoint: z.url().optional(),
  force_path_style: z.boolean().optional(),
  public_endpoint: z.url().optional(),
  access_key_id: z.string().max(200).optional(),
});

export type LocalStorageConfig = z.output<typeof localConfigSchema>;
export type S3StorageConfig = z.output<typeof s3ConfigSchema>;

/** Secrets of a storage, sealed together; `undefined` keeps the stored value, `null` removes it. */
export interface StorageSecretsInput {
  secret_access_key?: string | null | undefined;
  /** Passphrase archives on this storage are encrypted with. */
  encryption_secret?: string | null | undefined;
}

export interface StorageInput {
  name: string;
  description?: string | null | undefined;
  kind: StorageKind;
  config: Record<string, unknown>;
  secrets?: StorageSecretsInput | undefined;
}

export interface StorageView {
  id: string;
  name: string;
  description: string | null;
  kind: StorageKind;
  config: Record<string, unknown>;
  has_secret_access_key: boolean;
  has_encryption_secret: boolean;
  created_at: string;
  updated_at: string;
}

interface StoredSecrets {
  secret_access_key?: string;
  encryption_secret?: string;
}

type StorageRow = Selectable<StoreDatabase['storages']>;
const ownerOf = (name: string) => `storage "${name}"`;

/** Which secrets are stored, without opening them: the flags travel in the config column. */
function secretFlags(row: StorageRow): { has_secret_access_key: boolean; has_encryption_secret: boolean } {
  const flags = (row.config as { _secrets?: string[] })._secrets ?? [];
  return { has_secret_access_key: flags.includes('secret_access_key'), has_encryption_secret: flags.includes('encryption_secret') };
}

export function toStorageView(row: StorageRow): StorageView {
  const { _secrets: _ignored, ...config } = row.config as Record<string, unknown>;
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    kind: row.kind,
    config,
    ...secretFlags(row),
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

function validateConfig(kind: StorageKind, config: Record<string, unknown>): Record<string, unknown> {
  const parsed = (kind === 'local' ? localConfigSchema : s3ConfigSchema).safeParse(config);
  if (!parsed.success) {
    const fields = parsed.error.issues.map((issue) => fieldProblem(`config.${issue.path.join('.')}`, issue));
    throw new PgferryError('PGF_VALIDATION_FAILED', fields.map((f) => `${f.field}: ${f.message}`).join('; '), { details: { fields } });
  }
  return parsed.data;
}

export async function findStorageRow(db: Kysely<StoreDatabase>, idOrName: string): Promise<StorageRow | undefined> {
  let query = db.selectFrom('storages').selectAll();
  query = isUuid(idOrName)
    ? query.where((eb) => eb.or([eb('id', '=', idOrName), eb(eb.fn('lower', ['name']), '=', idOrName.toLowerCase())]))
    : query.where((eb) => eb(eb.fn('lower', ['name']), '=', idOrName.toLowerCase()));
  return query.executeTakeFirst();
}

export async function getStorageRow(db: Kysely<StoreDatabase>, idOrName: string): Promise<StorageRow> {
  const row = await findStorageRow(db, idOrName);
  if (!row) throw new PgferryError('PGF_NOT_FOUND', `storage "${idOrName}" does not exist; list them with \`pgferry storage list\``, { details: { storage: idOrName } });
  return row;
}

export async function getStorage(db: Kysely<StoreDatabase>, idOrName: string): Promise<StorageView> {
  return toStorageView(await getStorageRow(db, idOrName));
}

export async function listStorages(
  db: Kysely<StoreDatabase>,
  query: { page?: number | undefined; page_size?: number | undefined; kind?: StorageKind | undefined; search?: string | undefined } = {},
): Promise<{ items: StorageView[]; total: number; page: number; page_size: number }> {
  const page = query.page ?? 1;
  const pageSize = query.page_size ?? 50;
  let base = db.selectFrom('storages');
  if (query.kind) base = base.where('kind', '=', query.kind);
  const search = query.search?.trim();
  if (search) base = base.where('name', 'ilike', containsPattern(search));
  const [rows, count] = await Promise.all([
    base.selectAll().orderBy((eb) => eb.fn('lower', ['name'])).orderBy('id').limit(pageSize).offset((page - 1) * pageSize).execute(),
    base.select((eb) => eb.fn.countAll<string>().as('total')).executeTakeFirstOrThrow(),
  ]);
  return { items: rows.map(toStorageView), total: Number(count.total), page, page_size: pageSize };
}

function openSecrets(row: StorageRow, secrets: SecretBox): StoredSecrets {
  if (row.secret_encrypted === null) return {};
  return JSON.parse(secrets.open(row.secret_encrypted, ownerOf(row.name))) as StoredSecrets;
}

function sealSecrets(merged: StoredSecrets, secrets: SecretBox): { secret_encrypted: string | null; flags: string[] } {
  const flags = Object.entries(merged)
    .filter(([, value]) => typeof value === 'string' && value !== '')
    .map(([key]) => key);
  return { secret_encrypted: flags.length === 0 ? null : secrets.seal(JSON.stringify(merged)), flags };
}

function mergeSecrets(current: StoredSecrets, input: StorageSecretsInput | undefined): StoredSecrets {
  const merged: StoredSecrets = { ...current };
  for (const key of ['secret_access_key', 'encryption_secret'] as const) {
    const value = input?.[key];
    if (value === null || value === '') delete merged[key];
    else if (value !== undefined) merged[key] = value;
  }
  return merged;
}

function duplicateName(name: string): PgferryError {
  return new PgferryError('PGF_CONFLICT', `name: a storage named "${name}" already exists (names are case-insensitive); pick another name`, {
    details: { fields: [{ field: 'name', code: 'taken', message: 'already exists' }] },
  });
}

function checkName(name: string): string {
  const trimmed = name.trim();
  if (trimmed === '' || trimmed.length > 100) {
    throw new PgferryError('PGF_VALIDATION_FAILED', 'name: expected 1 to 100 characters', { details: { fields: [{ field: 'name', code: 'length_1_100', message: 'expected 1 to 100 characters' }] } });
  }
  return trimmed;
}

/** Runs after the input is validated and before it is written: the place itself is checked there (check-storage-place.ts). */
export type CheckStoragePlace = (kind: StorageKind, config: Record<string, unknown>) => Promise<void>;

export async function createStorage(db: Kysely<StoreDatabase>, secrets: SecretBox, input: StorageInput, checkPlace?: CheckStoragePlace): Promise<StorageView> {
  const name = checkName(input.name);
  const config = validateConfig(input.kind, input.config);
  if (await findStorageRow(db, name)) throw duplicateName(name);
  await checkPlace?.(input.kind, config);
  const sealed = sealSecrets(mergeSecrets({}, input.secrets), secrets);
  try {
    const row = await db
      .insertInto('storages')
      .values({ name, description: input.description ?? null, kind: input.kind, config: JSON.stringify({ ...config, _secrets: sealed.flags }), secret_encrypted: sealed.secret_encrypted })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toStorageView(row);
  } catch (error) {
    if ((error as { code?: string }).code === '23505') throw duplicateName(name);
    throw error;
  }
}

/** Replaces a storage's settings; secrets not given are kept, `null` removes one. */
export async function updateStorage(db: Kysely<StoreDatabase>, secrets: SecretBox, idOrName: string, input: StorageInput, checkPlace?: CheckStoragePlace): Promise<StorageView> {
  const current = await getStorageRow(db, idOrName);
  const name = checkName(input.name);
  const config = validateConfig(input.kind, input.config);
  const clash = await findStorageRow(db, name);
  if (clash && clash.id !== current.id) throw duplicateName(name);
  await checkPlace?.(input.kind, config);
  const sealed = sealSecrets(mergeSecrets(openSecrets(current, secrets), input.secrets), secrets);
  const row = await db
    .updateTable('storages')
    .set({ name, description: input.description ?? null, kind: input.kind, config: JSON.stringify({ ...config, _secrets: sealed.flags }), secret_encrypted: sealed.secret_encrypted, updated_at: new Date() })
    .where('id', '=', current.id)
    .returningAll()
    .executeTakeFirstOrThrow();
  return toStorageView(row);
}

export async function deleteStorage(db: Kysely<StoreDatabase>, idOrName: string): Promise<StorageView> {
  const row = await getStorageRow(db, idOrName);
  const jobs = await db
    .selectFrom('backup_job_storages as l')
    .innerJoin('backup_jobs as j', 'j.id', 'l.backup_job_id')
    .select(['j.id', 'j.name'])
    .where('l.storage_id', '=', row.id)
    .orderBy('j.name')
    .execute();
  if (jobs.length > 0) {
    throw new PgferryError('PGF_CONFLICT', `storage "${row.name}" is used by ${jobs.map((job) => `backup job "${job.name}"`).join(', ')}; remove it from those jobs first`, {
      details: { storage: row.name, jobs },
    });
  }
  const backups = await db.selectFrom('backups').select((eb) => eb.fn.countAll<string>().as('n')).where('storage_id', '=', row.id).where('state', '<>', 'expired').executeTakeFirstOrThrow();
  if (Number(backups.n) > 0) {
    throw new PgferryError('PGF_CONFLICT', `storage "${row.name}" holds ${backups.n} recorded backup(s); prune or expire them first (\`pgferry backups prune\`)`, {
      details: { storage: row.name, backups: Number(backups.n) },
    });
  }
  try {
    await db.transaction().execute(async (tx) => {
      await tx.deleteFrom('backups').where('storage_id', '=', row.id).execute();
      await tx.deleteFrom('storages').where('id', '=', row.id).execute();
    });
  } catch (error) {
    if ((error as { code?: string }).code === '23503') {
      throw new PgferryError('PGF_CONFLICT', `storage "${row.name}" became used by a backup job meanwhile; remove it from the job first`, { cause: error });
    }
    throw error;
  }
  return toStorageView(row);
}

export interface StorageTarget {
  id: string;
  name: string;
  spec: StorageSpec;
  /** Passphrase for archive encryption, when the storage has one. */
  encryptionSecret: string | undefined;
}

/** Storage settings with secrets opened, for the engine. */
export function storageTargetFromRow(row: StorageRow, secrets: SecretBox): StorageTarget {
  const opened = openSecrets(row, secrets);
  const config = row.config as Record<string, unknown>;
  let spec: StorageSpec;
  if (row.kind === 'local') {
    spec = { kind: 'local', path: String(config.path) };
  } else {
    const s3 = config as S3StorageConfig;
    spec = {
      kind: 's3',
      bucket: s3.bucket,
      prefix: s3.prefix,
      region: s3.region,
      endpoint: s3.endpoint,
      forcePathStyle: s3.force_path_style,
      publicEndpoint: s3.public_endpoint,
      accessKeyId: s3.access_key_id,
      secretAccessKey: opened.secret_access_key,
    };
  }
  return { id: row.id, name: row.name, spec, encryptionSecret: opened.encryption_secret };
}

export async function loadStorageTarget(db: Kysely<StoreDatabase>, secrets: SecretBox, idOrName: string): Promise<StorageTarget> {
  return storageTargetFromRow(await getStorageRow(db, idOrName), secrets);
}

