import path from 'node:path';

import { PgferryError } from '../../errors/pgferry-error.js';
import type { ArchiveStorage, StorageSpec } from './archive-storage.js';
import { LocalStorage } from './local-storage.js';
import { S3Storage, type S3StorageOptions } from './s3-storage.js';

/** `options.beforeConnect` applies to network storages only (a local directory opens no connection). */
export function openStorage(spec: StorageSpec, options: S3StorageOptions = {}): ArchiveStorage {
  return spec.kind === 'local' ? new LocalStorage(spec.path) : new S3Storage(spec, options);
}

export interface ParsedLocation {
  spec: StorageSpec;
  /** Path inside the storage ('' = its root). */
  path: string;
}

/**
 * `s3://bucket/prefix` (credentials and endpoint from AWS_* variables) or a directory.
 * Returns undefined for anything else, which callers look up as a saved storage name.
 */
export function parseLocation(text: string, env: NodeJS.ProcessEnv = process.env): ParsedLocation | undefined {
  if (text.startsWith('s3://')) {
    const rest = text.slice(5);
    const slash = rest.indexOf('/');
    const bucket = slash === -1 ? rest : rest.slice(0, slash);
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
      throw new PgferryError('PGF_VALIDATION_FAILED', `"${bucket}" is not a valid S3 bucket name (3–63 lowercase letters, digits, dots, hyphens)`);
    }
    return {
      spec: {
        kind: 's3',
        bucket,
        // The whole path is the storage's prefix: archives sit at its root, like a directory.
        prefix: slash === -1 ? undefined : rest.slice(slash + 1).replace(/\/+$/, ''),
        region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION,
        endpoint: env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL,
        forcePathStyle: env.PGFERRY_S3_FORCE_PATH_STYLE === '1' || env.PGFERRY_S3_FORCE_PATH_STYLE === 'true',
        accessKeyId: env.AWS_ACCESS_KEY_ID,
        secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
      },
      path: '',
    };
  }
  if (text.startsWith('/') || text.startsWith('.') || text.includes(path.sep)) {
    return { spec: { kind: 'local', path: path.resolve(text) }, path: '' };
  }
  return undefined;
}
