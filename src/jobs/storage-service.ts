import path from 'node:path';

import type { Kysely } from 'kysely';
import { z } from 'zod';

import { checkStoragePlace } from '../engine/storage/check-storage-place.js';
import type { StorageKind } from '../engine/storage/archive-storage.js';
import { PgferryError } from '../errors/pgferry-error.js';
import { fieldProblem } from '../errors/validation-error.js';
import type { SecretBox } from '../secrets/secret-box.js';
import {
  type StorageView,
  type StoredSecrets,
  assertStorageNameFree,
  getStorageRow,
  insertStorageRow,
  openStorageSecrets,
  updateStorageRow,
} from '../store/storage-repository.js';
import type { StoreDatabase } from '../store/store-types.js';

// The rules of a saved storage: its name, its settings per kind, its secrets (kept, replaced
// or removed), and its place checked before it is written (a local directory that works).

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

function validateConfig(kind: StorageKind, config: Record<string, unknown>): Record<string, unknown> {
  const parsed = (kind === 'local' ? localConfigSchema : s3ConfigSchema).safeParse(config);
  if (!parsed.success) {
    const fields = parsed.error.issues.map((issue) => fieldProblem(`config.${issue.path.join('.')}`, issue));
    throw new PgferryError('PGF_VALIDATION_FAILED', fields.map((f) => `${f.field}: ${f.message}`).join('; '), { details: { fields } });
  }
  return parsed.data;
}

function checkName(name: string): string {
  const trimmed = name.trim();
  if (trimmed === '' || trimmed.length > 100) {
    throw new PgferryError('PGF_VALIDATION_FAILED', 'name: expected 1 to 100 characters', { details: { fields: [{ field: 'name', code: 'length_1_100', message: 'expected 1 to 100 characters' }] } });
  }
  return trimmed;
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

function sealSecrets(merged: StoredSecrets, secrets: SecretBox): { secret_encrypted: string | null; secretFlags: string[] } {
  const secretFlags = Object.entries(merged)
    .filter(([, value]) => typeof value === 'string' && value !== '')
    .map(([key]) => key);
  return { secret_encrypted: secretFlags.length === 0 ? null : secrets.seal(JSON.stringify(merged)), secretFlags };
}

/** What saving may do to the storage's place: `create` makes a missing local directory. */
export interface SaveStorageOptions {
  create?: boolean | undefined;
}

export async function createStorage(db: Kysely<StoreDatabase>, secrets: SecretBox, input: StorageInput, options: SaveStorageOptions = {}): Promise<StorageView> {
  const name = checkName(input.name);
  const config = validateConfig(input.kind, input.config);
  await assertStorageNameFree(db, name);
  await checkStoragePlace(input.kind, config, { create: options.create === true });
  return insertStorageRow(db, { name, description: input.description ?? null, kind: input.kind, config, ...sealSecrets(mergeSecrets({}, input.secrets), secrets) });
}

/** Replaces a storage's settings; secrets not given are kept, `null` removes one. */
export async function updateStorage(db: Kysely<StoreDatabase>, secrets: SecretBox, idOrName: string, input: StorageInput, options: SaveStorageOptions = {}): Promise<StorageView> {
  const current = await getStorageRow(db, idOrName);
  const name = checkName(input.name);
  const config = validateConfig(input.kind, input.config);
  await assertStorageNameFree(db, name, current.id);
  await checkStoragePlace(input.kind, config, { create: options.create === true });
  const sealed = sealSecrets(mergeSecrets(openStorageSecrets(current, secrets), input.secrets), secrets);
  return updateStorageRow(db, current.id, { name, description: input.description ?? null, kind: input.kind, config, ...sealed });
}
