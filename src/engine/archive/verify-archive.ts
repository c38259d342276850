import { PgferryError } from '../../errors/pgferry-error.js';
import { joinPath, readText } from '../storage/archive-storage.js';
import type { ArchiveLocation } from './archive-files.js';
import { HashStream } from './hash-stream.js';
import { type ArchiveTrust, type SignatureState, assertTrusted, manifestSignatureState, signatureFileName } from './manifest-signature.js';
import { type Manifest, type ManifestFile, manifestFileName, parseManifest } from './manifest.js';

export interface VerifyFileResult {
  path: string;
  ok: boolean;
  size: number;
  reason?: string;
}

export interface VerifyResult {
  ok: boolean;
  archive: string;
  files: VerifyFileResult[];
  checkedBytes: number;
  /** First failure as an error, for callers that want to throw. */
  error?: PgferryError;
}

/**
 * Reads the manifest once and checks its signature on those exact bytes (no second read an
 * altered storage could answer differently). The state is returned; `assertTrusted` decides.
 */
export async function readSignedManifest(location: ArchiveLocation, trust: ArchiveTrust = {}): Promise<{ manifest: Manifest; signature: SignatureState }> {
  const where = location.storage.describe(location.path);
  const path = joinPath(location.path, manifestFileName);
  if (!(await location.storage.exists(path))) {
    throw new PgferryError(
      'PGF_ARCHIVE_INVALID',
      `${where} has no ${manifestFileName}: it is not a pgferry archive, or its backup did not finish`,
    );
  }
  const text = await readText(location.storage, path);
  const signaturePath = joinPath(location.path, signatureFileName);
  const signatureText = (await location.storage.exists(signaturePath)) ? await readText(location.storage, signaturePath) : undefined;
  return { manifest: parseManifest(text, where), signature: manifestSignatureState(text, signatureText, trust.signingKey) };
}

/** The manifest of an archive the caller may act on: refused unless signed by our key or trusted. */
export async function readTrustedManifest(location: ArchiveLocation, trust: ArchiveTrust): Promise<Manifest> {
  const { manifest, signature } = await readSignedManifest(location, trust);
  assertTrusted(signature, location.storage.describe(location.path), trust);
  return manifest;
}

async function hashStored(location: ArchiveLocation, file: ManifestFile): Promise<{ size: number; sha256: string }> {
  const hash = new HashStream();
  const stream = await location.storage.read(joinPath(location.path, file.path));
  for await (const chunk of stream.pipe(hash)) void chunk;
  return { size: hash.bytes, sha256: hash.sha256 };
}

/** Re-hashes one stored file; undefined when it matches the manifest, else the reason. */
export async function checkArchiveFile(location: ArchiveLocation, file: ManifestFile): Promise<string | undefined> {
  try {
    const actual = await hashStored(location, file);
    if (actual.size !== file.size) return `size ${actual.size} bytes, manifest says ${file.size}`;
    if (actual.sha256 !== file.sha256) return 'sha256 differs from the manifest';
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/** Re-reads every file and checks its size and sha256 against the manifest (no key needed). */
export async function verifyArchive(
  location: ArchiveLocation,
  options: { signal?: AbortSignal; onFile?: (result: VerifyFileResult) => void; trust?: ArchiveTrust } = {},
): Promise<VerifyResult & { manifest: Manifest; signature: SignatureState }> {
  const { manifest, signature } = await readSignedManifest(location, options.trust);
  const archive = location.storage.describe(location.path);
  const files: VerifyFileResult[] = [];
  let checkedBytes = 0;
  let error: PgferryError | undefined;
  // An archive a restore would refuse does not pass verify either.
  try {
    assertTrusted(signature, archive, options.trust ?? {});
  } catch (refused) {
    error = refused as PgferryError;
  }
  for (const file of manifest.files) {
    options.signal?.throwIfAborted();
    let result: VerifyFileResult;
    try {
      const actual = await hashStored(location, file);
      checkedBytes += actual.size;
      if (actual.size !== file.size) result = { path: file.path, ok: false, size: actual.size, reason: `size ${actual.size} bytes, manifest says ${file.size}` };
      else if (actual.sha256 !== file.sha256) result = { path: file.path, ok: false, size: actual.size, reason: 'sha256 differs from the manifest' };
      else result = { path: file.path, ok: true, size: actual.size };
    } catch (caught) {
      result = { path: file.path, ok: false, size: 0, reason: caught instanceof PgferryError && caught.code === 'PGF_NOT_FOUND' ? 'missing' : String((caught as Error).message) };
    }
    if (!result.ok && !error) {
      error = new PgferryError('PGF_ARCHIVE_CORRUPT', `archive file ${file.path} is corrupt (${result.reason ?? 'unreadable'}) in ${archive}; restore it from another copy of the backup`, {
        details: { file: file.path },
      });
    }
    files.push(result);
    options.onFile?.(result);
  }
  return { ok: error === undefined, archive, files, checkedBytes, manifest, signature, ...(error ? { error } : {}) };
}
