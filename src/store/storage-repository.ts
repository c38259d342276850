import type { Kysely, Selectable } from 'kysely';

import type { StorageSpec } from '../engine/storage/archive-storage.js';
import { PgferryError } from '../errors/pgferry-error.js';
import type { SecretBox } from '../secrets/secret-box.js';
import { containsPattern } from './like-pattern.js';
import { nameTaken } from './repository-helpers.js';
import type { StoreDatabase } from './store-types.js';
import type { StorageKind } from '../engine/storage/archive-storage.js';
import { isUuid } from './uuid.js';
import { releaseProtectionReferences } from './protection-repository.js';

/** The S3 settings as stored in `storages.config` (validated by src/jobs/storage-service.ts before they are). */
export interface S3StorageConfig {
  bucket: string;
  prefix?: string | undefined;
  region?: string | undefined;
  endpoint?: string | undefined;
  force_path_style?: boolean | undefined;
  public_endpoint?: string | undefined;
  access_key_id?: string | undefined;
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

export interface StoredSecrets {
  secret_access_key?: string;
  encryption_secret?: string;
}

export type StorageRow = Selectable<StoreDatabase['storages']>;
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

export function openStorageSecrets(row: StorageRow, secrets: SecretBox): StoredSecrets {
  if (row.secret_encrypted === null) return {};
  return JSON.parse(secrets.open(row.secret_encrypted, ownerOf(row.name))) as StoredSecrets;
}

/** The row values of a storage; `config` holds the non-secret settings and which secrets are set. */
export interface StorageRowValues {
  name: string;
  description: string | null;
  kind: StorageKind;
  config: Record<string, unknown>;
  secretFlags: string[];
  secret_encrypted: string | null;
}

const columns = (values: StorageRowValues) => ({
  name: values.name,
  description: values.description,
  kind: values.kind,
  config: JSON.stringify({ ...values.config, _secrets: values.secretFlags }),
  secret_encrypted: values.secret_encrypted,
});

export async function insertStorageRow(db: Kysely<StoreDatabase>, values: StorageRowValues): Promise<StorageView> {
  try {
    return toStorageView(await db.insertInto('storages').values(columns(values)).returningAll().executeTakeFirstOrThrow());
  } catch (error) {
    if ((error as { code?: string }).code === '23505') throw nameTaken('storage', values.name, error);
    throw error;
  }
}

export async function updateStorageRow(db: Kysely<StoreDatabase>, id: string, values: StorageRowValues): Promise<StorageView> {
  try {
    return toStorageView(await db.updateTable('storages').set({ ...columns(values), updated_at: new Date() }).where('id', '=', id).returningAll().executeTakeFirstOrThrow());
  } catch (error) {
    if ((error as { code?: string }).code === '23505') throw nameTaken('storage', values.name, error);
    throw error;
  }
}

/** Refuses a name another storage has (names are case-insensitive). */
export async function assertStorageNameFree(db: Kysely<StoreDatabase>, name: string, exceptId?: string): Promise<void> {
  const clash = await findStorageRow(db, name);
  if (clash && clash.id !== exceptId) throw nameTaken('storage', name);
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
      await releaseProtectionReferences(tx, 'storage_id', row.id, `storage "${row.name}"`);
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
  const opened = openStorageSecrets(row, secrets);
  const config = row.config as Record<string, unknown>;
  let spec: StorageSpec;
  if (row.kind === 'local') {
    spec = { kind: 'local', path: String(config.path) };
  } else {
    const s3 = config as unknown as S3StorageConfig;
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

