import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { decodeKey } from '../config/config-schema.js';
import type { Config } from '../config/config-schema.js';
import { PgferryError } from '../errors/pgferry-error.js';

export interface EncryptionKey {
  /** Short fingerprint stored beside every ciphertext; reveals nothing about the key. */
  id: string;
  key: Buffer;
}

export function keyFromBytes(key: Buffer): EncryptionKey {
  return { id: createHash('sha256').update(key).digest('hex').slice(0, 12), key };
}

/**
 * Server mode requires PGFERRY_ENCRYPTION_KEY; embedded mode generates one into
 * `$PGFERRY_HOME/secret.key` (0600) on first start and reuses it after.
 */
export async function resolveEncryptionKey(config: Config, logger?: { warn(details: { file: string }, message: string): void }): Promise<EncryptionKey> {
  if (config.PGFERRY_ENCRYPTION_KEY !== undefined) {
    return keyFromBytes(decodeKey(config.PGFERRY_ENCRYPTION_KEY) as Buffer);
  }
  if (config.DATABASE_URL !== undefined) {
    throw new PgferryError(
      'PGF_CONFIG_INVALID',
      'Invalid configuration: 1 variable to fix (environment or .env):\n  - PGFERRY_ENCRYPTION_KEY: required when DATABASE_URL is set (generate one with `openssl rand -hex 32` and keep it safe: it decrypts every stored password)',
      { details: { variables: ['PGFERRY_ENCRYPTION_KEY'] } },
    );
  }
  const file = path.join(config.PGFERRY_HOME, 'secret.key');
  if (existsSync(file)) {
    const stored = decodeKey((await readFile(file, 'utf8')).trim());
    if (stored === undefined) {
      throw new PgferryError('PGF_CONFIG_INVALID', `${file} does not hold a 32-byte hex key; restore it from your backup or set PGFERRY_ENCRYPTION_KEY`);
    }
    return keyFromBytes(stored);
  }
  await mkdir(config.PGFERRY_HOME, { recursive: true, mode: 0o755 });
  const key = randomBytes(32);
  await writeFile(file, `${key.toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  logger?.warn(
    { file },
    'generated an encryption key for stored secrets; back this file up (losing it loses every saved password) or set PGFERRY_ENCRYPTION_KEY',
  );
  return keyFromBytes(key);
}
