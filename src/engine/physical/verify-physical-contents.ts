import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import { PgferryError } from '../../errors/pgferry-error.js';
import { type ArchiveLocation, readArchiveFile } from '../archive/archive-files.js';
import type { Manifest, PhysicalFile } from '../archive/manifest.js';
import { TarScanner } from './tar-scanner.js';

export interface PhysicalContentsResult {
  ok: boolean;
  /** Files inside the archives whose size and SHA-256 matched. */
  files: number;
  bytes: number;
  /** One line per file that differs, is missing or is not listed. */
  problems: string[];
}

/**
 * Reads every tar of a physical backup through decryption and decompression (so it needs
 * the key of an encrypted one) and checks each file inside against the manifest's contents
 * list — what a restore would check, without writing anything.
 */
export async function verifyPhysicalContents(location: ArchiveLocation, manifest: Manifest, key: Buffer | undefined, signal?: AbortSignal): Promise<PhysicalContentsResult> {
  const physical = manifest.physical;
  if (manifest.format !== 'physical' || !physical) {
    throw new PgferryError('PGF_VALIDATION_FAILED', `${location.storage.describe(location.path)} is a ${manifest.format} archive; the check of files inside applies to physical backups`);
  }
  const expected = new Map<string, PhysicalFile>(physical.contents.map((file) => [file.path, file]));
  const problems: string[] = [];
  let files = 0;
  let bytes = 0;
  for (const archive of physical.archives) {
    signal?.throwIfAborted();
    const stored = manifest.files.find((file) => file.path === archive.file);
    if (!stored) {
      problems.push(`${archive.file}: named by the manifest's archives but not listed among its files`);
      continue;
    }
    const prefix = archive.tablespace_oid === null ? '' : `pg_tblspc/${archive.tablespace_oid}/`;
    const scanner = new TarScanner(archive.file, {
      onFile: (file) => {
        const path = prefix + file.path;
        const listed = expected.get(path);
        expected.delete(path);
        if (!listed) problems.push(`${path} (in ${archive.file}): not in the manifest`);
        else if (listed.size !== file.size || listed.sha256 !== file.sha256) problems.push(`${path} (in ${archive.file}): ${listed.size !== file.size ? 'size' : 'sha256'} differs from the manifest`);
        else {
          files += 1;
          bytes += file.size;
        }
      },
    });
    try {
      const stream = await readArchiveFile(location, stored, { compression: manifest.compression, key });
      await pipeline(stream, scanner, new Writable({ write: (_chunk, _encoding, callback) => callback() }), ...(signal ? [{ signal }] : []));
    } catch (error) {
      if (signal?.aborted) throw error;
      problems.push(`${archive.file}: ${(error as Error).message}`);
    }
  }
  for (const path of expected.keys()) problems.push(`${path}: in the manifest but in no archive`);
  return { ok: problems.length === 0, files, bytes, problems };
}
