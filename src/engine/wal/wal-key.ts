import { Readable } from 'node:stream';

import { type ManifestEncryption, createArchiveKey, openArchiveKey } from '../archive/encryption.js';
import { type ArchiveStorage, readText } from '../storage/archive-storage.js';
import { keyPath } from './wal-layout.js';

/**
 * One key per system's WAL: scrypt runs once per process rather than once per segment
 * (`wal fetch` is started for every segment a recovery reads). A wrong secret is named
 * before any file is touched.
 */
/** The system's WAL key, made (and its parameters stored) on first use. */
export async function walKey(storage: ArchiveStorage, systemId: string, secret: string): Promise<Buffer> {
  const file = keyPath(systemId);
  if (await storage.exists(file)) {
    return openArchiveKey(secret, JSON.parse(await readText(storage, file)) as ManifestEncryption, storage.describe(file));
  }
  const made = createArchiveKey(secret);
  await storage.write(file, Readable.from([Buffer.from(`${JSON.stringify(made.encryption, null, 2)}\n`)]));
  return made.key;
}

/** The key to read encrypted WAL with; a wrong or missing secret is named here. */
export async function readWalKey(storage: ArchiveStorage, systemId: string, secret: string | undefined): Promise<Buffer> {
  const file = keyPath(systemId);
  return openArchiveKey(secret, JSON.parse(await readText(storage, file)) as ManifestEncryption, storage.describe(file));
}
