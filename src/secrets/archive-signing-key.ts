import { hkdfSync } from 'node:crypto';

import { type ArchiveSigningKey, archiveSigningKey } from '../engine/archive/manifest-signature.js';
import type { SecretBox } from './secret-box.js';

/**
 * The key this instance signs archive manifests with: derived (HKDF-SHA256) from the
 * encryption key, so every process of an instance agrees on it, nothing new needs keeping
 * safe, and the encryption key itself never signs anything.
 */
export function archiveSigningKeyOf(secrets: SecretBox): ArchiveSigningKey {
  return archiveSigningKey(Buffer.from(hkdfSync('sha256', secrets.key.key, Buffer.alloc(0), 'pgferry archive manifest signing v1', 32)));
}
