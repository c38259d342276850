import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

import { PgferryError } from '../../errors/pgferry-error.js';

/*
 * Streaming authenticated encryption for archive files.
 *
 * Archive key = scrypt(secret, archive salt) — computed once per archive; the salt and a key
 * check (HMAC of a constant) live in the manifest, so a wrong secret is named before any
 * file is read. Each file then gets its own key, HKDF(archive key, file salt), and is cut
 * into frames: [plaintext length u32 BE][ciphertext][GCM tag]. The nonce is the frame
 * counter and the AAD binds the file header, the counter and a "last frame" flag, so
 * reordered, dropped, truncated or altered frames all fail authentication.
 */

const magic = Buffer.from('PGFENC01', 'ascii');
const headerLength = magic.length + 16;
const tagLength = 16;
export const encryptionChunkSize = 256 * 1024;
const maxFrame = 16 * 1024 * 1024;

export interface ManifestEncryption {
  algorithm: 'aes-256-gcm-chunked';
  kdf: 'scrypt';
  kdf_params: { N: number; r: number; p: number };
  salt: string;
  key_check: string;
  chunk_size: number;
}

export interface ArchiveKey {
  key: Buffer;
  encryption: ManifestEncryption;
}

const kdfParams = { N: 16384, r: 8, p: 1 };

function keyCheck(key: Buffer): string {
  return createHmac('sha256', key).update('pgferry-archive-key-check-v1').digest('hex').slice(0, 32);
}

/** A new archive key from the storage's or job's secret (random salt per archive). */
export function createArchiveKey(secret: string): ArchiveKey {
  if (secret.length === 0) throw new PgferryError('PGF_ENCRYPTION_KEY_REQUIRED', 'an empty encryption secret cannot protect an archive; set a passphrase');
  const salt = randomBytes(16);
  const key = scryptSync(secret, salt, 32, { ...kdfParams, maxmem: 64 * 1024 * 1024 });
  return {
    key,
    encryption: {
      algorithm: 'aes-256-gcm-chunked',
      kdf: 'scrypt',
      kdf_params: kdfParams,
      salt: salt.toString('base64'),
      key_check: keyCheck(key),
      chunk_size: encryptionChunkSize,
    },
  };
}

/** Re-derives the archive key; a wrong secret fails here with PGF_ARCHIVE_KEY_INVALID. */
export function openArchiveKey(secret: string | undefined, encryption: ManifestEncryption, archive: string): Buffer {
  if (secret === undefined || secret.length === 0) {
    throw new PgferryError(
      'PGF_ENCRYPTION_KEY_REQUIRED',
      `archive ${archive} is encrypted; give its secret (--encryption-key-env VAR, PGFERRY_BACKUP_KEY, or the storage's encryption secret)`,
    );
  }
  const { N, r, p } = encryption.kdf_params;
  const key = scryptSync(secret, Buffer.from(encryption.salt, 'base64'), 32, { N, r, p, maxmem: 256 * 1024 * 1024 });
  const expected = Buffer.from(encryption.key_check, 'hex');
  const actual = Buffer.from(keyCheck(key), 'hex');
  if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) {
    throw new PgferryError(
      'PGF_ARCHIVE_KEY_INVALID',
      `the encryption secret does not open archive ${archive} (wrong key); use the secret it was written with`,
    );
  }
  return key;
}

function fileKey(archiveKey: Buffer, salt: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', archiveKey, salt, 'pgferry-archive-file-v1', 32));
}

function nonce(counter: number): Buffer {
  const iv = Buffer.alloc(12);
  iv.writeBigUInt64BE(BigInt(counter), 4);
  return iv;
}

function aad(header: Buffer, counter: number, last: boolean): Buffer {
  const tail = Buffer.alloc(9);
  tail.writeBigUInt64BE(BigInt(counter), 0);
  tail[8] = last ? 1 : 0;
  return Buffer.concat([header, tail]);
}

export class EncryptStream extends Transform {
  readonly #header: Buffer;
  readonly #key: Buffer;
  #pending: Buffer[] = [];
  #pendingLength = 0;
  #counter = 0;

  constructor(archiveKey: Buffer) {
    super();
    const salt = randomBytes(16);
    this.#header = Buffer.concat([magic, salt]);
    this.#key = fileKey(archiveKey, salt);
    this.push(this.#header);
  }

  #frame(plain: Buffer, last: boolean): Buffer {
    const cipher = createCipheriv('aes-256-gcm', this.#key, nonce(this.#counter));
    cipher.setAAD(aad(this.#header, this.#counter, last));
    const body = Buffer.concat([cipher.update(plain), cipher.final()]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(plain.length);
    this.#counter += 1;
    return Buffer.concat([length, body, cipher.getAuthTag()]);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#pending.push(chunk);
    this.#pendingLength += chunk.length;
    // Keep at least one byte back so the final frame is never empty unless the file is.
    while (this.#pendingLength > encryptionChunkSize) {
      const all = Buffer.concat(this.#pending);
      this.push(this.#frame(all.subarray(0, encryptionChunkSize), false));
      const rest = all.subarray(encryptionChunkSize);
      this.#pending = [rest];
      this.#pendingLength = rest.length;
    }
    callback();
  }

  override _flush(callback: TransformCallback): void {
    this.push(this.#frame(Buffer.concat(this.#pending), true));
    callback();
  }
}

export class DecryptStream extends Transform {
  readonly #archiveKey: Buffer;
  readonly #file: string;
  #header: Buffer | undefined;
  #key: Buffer | undefined;
  #buffer: Buffer = Buffer.alloc(0);
  #counter = 0;
  #sawLast = false;

  /** `file` names the archive file in errors. */
  constructor(archiveKey: Buffer, file: string) {
    super();
    this.#archiveKey = archiveKey;
    this.#file = file;
  }

  #corrupt(reason: string): PgferryError {
    return new PgferryError('PGF_ARCHIVE_CORRUPT', `archive file ${this.#file} failed authentication (${reason}); it was altered or damaged — restore it from another copy`, {
      details: { file: this.#file },
    });
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    try {
      this.#drain();
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  #drain(): void {
    if (!this.#header) {
      if (this.#buffer.length < headerLength) return;
      const header = this.#buffer.subarray(0, headerLength);
      if (!header.subarray(0, magic.length).equals(magic)) throw this.#corrupt('not a pgferry encrypted file');
      this.#header = Buffer.from(header);
      this.#key = fileKey(this.#archiveKey, header.subarray(magic.length));
      this.#buffer = this.#buffer.subarray(headerLength);
    }
    for (;;) {
      if (this.#buffer.length < 4) return;
      const length = this.#buffer.readUInt32BE(0);
      if (length > maxFrame) throw this.#corrupt('frame length out of range');
      const frameLength = 4 + length + tagLength;
      if (this.#buffer.length < frameLength) return;
      if (this.#sawLast) throw this.#corrupt('data after the last frame');
      const body = this.#buffer.subarray(4, 4 + length);
      const tag = this.#buffer.subarray(4 + length, frameLength);
      this.#buffer = this.#buffer.subarray(frameLength);
      // The last frame is the one followed by nothing; try "not last" first, then "last".
      const plain = this.#open(body, tag, this.#buffer.length === 0);
      this.push(plain);
      this.#counter += 1;
    }
  }

  #open(body: Buffer, tag: Buffer, maybeLast: boolean): Buffer {
    const attempt = (last: boolean): Buffer | undefined => {
      try {
        const decipher = createDecipheriv('aes-256-gcm', this.#key as Buffer, nonce(this.#counter));
        decipher.setAAD(aad(this.#header as Buffer, this.#counter, last));
        decipher.setAuthTag(tag);
        const plain = Buffer.concat([decipher.update(body), decipher.final()]);
        if (last) this.#sawLast = true;
        return plain;
      } catch {
        return undefined;
      }
    };
    const plain = attempt(false) ?? (maybeLast ? attempt(true) : undefined);
    if (!plain) throw this.#corrupt(`frame ${this.#counter} does not authenticate`);
    return plain;
  }

  override _flush(callback: TransformCallback): void {
    if (!this.#header || this.#buffer.length > 0 || !this.#sawLast) {
      callback(this.#corrupt('the file is truncated'));
      return;
    }
    callback();
  }
}
