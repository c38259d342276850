import { stat } from 'node:fs/promises';
import path from 'node:path';

import { PgferryError, isPgferryError } from '../../errors/pgferry-error.js';
import { LocalStorage, createDirectoryLevels } from './local-storage.js';

const field = 'config.path';

function unusable(message: string, cause?: unknown): PgferryError {
  return new PgferryError('PGF_STORAGE_PATH_UNUSABLE', `${field}: ${message}`, {
    details: { fields: [{ field, code: 'path_unusable', message }] },
    ...(cause === undefined ? {} : { cause }),
  });
}

/**
 * A local storage is saved only where archives can be kept: its directory exists (or is made
 * when the user asked to create it) and takes a probe file. Refusing at save time is what a
 * user expects; a backup failing at 3 a.m. on a path that never worked is not.
 */
export async function checkLocalStoragePlace(root: string, options: { create: boolean }): Promise<{ created: boolean }> {
  const resolved = path.resolve(root);
  let created = false;
  if (!(await stat(resolved).catch(() => undefined))) {
    if (!options.create) {
      throw new PgferryError('PGF_STORAGE_PATH_MISSING', `${field}: ${resolved} does not exist; save again with "Create it" (\`--create\` on the CLI), or create the directory first`, {
        details: { fields: [{ field, code: 'path_missing', message: 'does not exist' }], path: resolved },
      });
    }
    try {
      created = await createDirectoryLevels(resolved);
    } catch (error) {
      throw unusable(isPgferryError(error) ? error.message : `cannot create ${resolved}`, error);
    }
  }
  const probe = await new LocalStorage(resolved).probe();
  if (!probe.ok) throw unusable(`${probe.message}; pick another path or give pgferry's user write access`);
  return { created };
}

/** The save-time check of any storage kind: local directories are checked; S3 buckets are probed by the caller after saving. */
export async function checkStoragePlace(kind: string, config: Record<string, unknown>, options: { create: boolean }): Promise<void> {
  if (kind === 'local' && typeof config.path === 'string') await checkLocalStoragePlace(config.path, options);
}
