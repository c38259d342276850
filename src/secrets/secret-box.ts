import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

import { PgferryError } from '../errors/pgferry-error.js';
import type { EncryptionKey } from './encryption-key.js';

// Format: v1.<key id>.<iv base64url>.<ciphertext base64url>.<tag base64url>
// The key id travels with every ciphertext so a wrong key is named, never guessed at.
const version = 'v1';

export interface SealedSecretInfo {
  keyId: string;
}

export function secretKeyId(sealed: string): string | undefined {
  const parts = sealed.split('.');
  return parts.length === 5 && parts[0] === version ? parts[1] : undefined;
}

/** AES-256-GCM for secrets at rest (passwords, S3 keys, webhook secrets). */
export class SecretBox {
  constructor(readonly key: EncryptionKey) {}

  get keyId(): string {
    return this.key.id;
  }

  seal(plaintext: string, associatedData = ''): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key.key, iv);
    cipher.setAAD(Buffer.from(associatedData));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    return [version, this.key.id, iv.toString('base64url'), ciphertext.toString('base64url'), tag.toString('base64url')].join('.');
  }

  /** `what` names the secret's owner in errors, e.g. `connection "prod"` (never the value). */
  open(sealed: string, what: string, associatedData = ''): string {
    const parts = sealed.split('.');
    if (parts.length !== 5 || parts[0] !== version) {
      throw new PgferryError('PGF_SECRET_UNREADABLE', `the stored secret of ${what} is not in a format pgferry knows; set it again`);
    }
    const [, keyId, iv, ciphertext, tag] = parts as [string, string, string, string, string];
    if (keyId !== this.key.id) {
      throw new PgferryError(
        'PGF_SECRET_KEY_MISMATCH',
        `the secret of ${what} was encrypted with key id ${keyId}; the configured key is ${this.key.id}: set PGFERRY_ENCRYPTION_KEY to the key it was saved with`,
        { details: { storedKeyId: keyId, configuredKeyId: this.key.id } },
      );
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key.key, Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(associatedData));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
    } catch (error) {
      throw new PgferryError(
        'PGF_SECRET_TAMPERED',
        `the stored secret of ${what} failed authentication (it was altered or corrupted); set it again`,
        { cause: error },
      );
    }
  }
}
