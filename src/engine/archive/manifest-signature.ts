import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

import { PgferryError } from '../../errors/pgferry-error.js';

/** Written next to manifest.json; the manifest holds every file's sha256, so this covers them all. */
export const signatureFileName = 'manifest.sig';

/** An HMAC-SHA256 key for archive manifests and its public fingerprint. */
export interface ArchiveSigningKey {
  id: string;
  key: Buffer;
}

/** How far a restore or verify trusts an archive. */
export interface ArchiveTrust {
  /** The key archives are signed with (derived from pgferry's encryption key); none = nothing verifies. */
  signingKey?: ArchiveSigningKey | undefined;
  /** Accept an unsigned archive, or one whose signature does not check (`--trust-unsigned`). */
  trustUnsigned?: boolean | undefined;
}

/** valid: signed by this key; unsigned: no signature; other-key: signed with a key we do not hold; invalid: altered. */
export type SignatureState = 'valid' | 'unsigned' | 'other-key' | 'invalid';

export function archiveSigningKey(key: Buffer): ArchiveSigningKey {
  return { id: createHash('sha256').update(key).digest('hex').slice(0, 16), key };
}

interface SignatureFile {
  algorithm: 'hmac-sha256';
  key_id: string;
  signature: string;
}

export function signManifest(manifestText: string | Buffer, key: ArchiveSigningKey): string {
  const file: SignatureFile = { algorithm: 'hmac-sha256', key_id: key.id, signature: createHmac('sha256', key.key).update(manifestText).digest('hex') };
  return `${JSON.stringify(file, null, 2)}\n`;
}

/** Checks the signature file's text (undefined when absent) against the manifest's exact bytes. */
export function manifestSignatureState(manifestText: string | Buffer, signatureText: string | undefined, key: ArchiveSigningKey | undefined): SignatureState {
  if (signatureText === undefined) return 'unsigned';
  let file: Partial<SignatureFile>;
  try {
    file = JSON.parse(signatureText) as Partial<SignatureFile>;
  } catch {
    return 'invalid';
  }
  if (file.algorithm !== 'hmac-sha256' || typeof file.signature !== 'string' || typeof file.key_id !== 'string') return 'invalid';
  if (!key || file.key_id !== key.id) return 'other-key';
  const expected = createHmac('sha256', key.key).update(manifestText).digest();
  const given = Buffer.from(file.signature, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected) ? 'valid' : 'invalid';
}

/** Refuses what the user did not choose to trust; names the archive and the way out. */
export function assertTrusted(state: SignatureState, archive: string, trust: ArchiveTrust): void {
  if (state === 'valid' || trust.trustUnsigned === true) return;
  if (state === 'unsigned') {
    throw new PgferryError(
      'PGF_ARCHIVE_UNSIGNED',
      `${archive} has no signature (${signatureFileName}): it was not made by this pgferry, or by a version before archives were signed; restore it only if you trust its contents, with --trust-unsigned (API: "trust_unsigned": true)`,
      { details: { signature: state } },
    );
  }
  const why =
    state === 'other-key'
      ? 'it was signed with another encryption key than this pgferry\'s (a different instance, or PGFERRY_ENCRYPTION_KEY changed)'
      : 'its manifest or signature was altered after the backup';
  throw new PgferryError(
    'PGF_ARCHIVE_SIGNATURE_INVALID',
    `${archive} fails its signature check: ${why}; restore it from an untouched copy, use the pgferry that made it, or, if you trust its contents, add --trust-unsigned (API: "trust_unsigned": true)`,
    { details: { signature: state } },
  );
}
