import { readFile } from 'node:fs/promises';
import path from 'node:path';

import { PgferryError } from '../../errors/pgferry-error.js';
import type { ArchiveStorage } from '../storage/archive-storage.js';
import { isSegmentName } from './lsn.js';
import { identityOfSegment, systemIdOfDataDir } from './system-identifier.js';
import { type UploadOutcome, type WalStoreOptions, fetchWalFile, uploadWalFile } from './wal-archive.js';
import { isWalFileName } from './wal-layout.js';
import { recordWalSystem } from './wal-system.js';

export interface PushResult {
  file: string;
  systemId: string;
  outcome: UploadOutcome;
}

function assertWalFileName(file: string): void {
  if (!isWalFileName(file)) {
    throw new PgferryError('PGF_VALIDATION_FAILED', `"${file}" is not a WAL file name PostgreSQL archives (segment, .partial, .backup or .history); pass %p / %f as given by PostgreSQL`);
  }
}

/** archive_command: stores the file at `walPath` (idempotent; a different file under the same name is refused). */
export async function pushWalFile(storage: ArchiveStorage, walPath: string, options: WalStoreOptions & { systemId?: string | undefined }): Promise<PushResult> {
  const file = path.basename(walPath);
  assertWalFileName(file);
  const header = isSegmentName(file) ? await identityOfSegment(walPath) : undefined;
  const systemId = options.systemId ?? header?.systemId ?? (await systemIdOfDataDir());
  if (header) await recordWalSystem(storage, systemId, header.segmentSize);
  const contents = await readFile(walPath).catch((error: unknown) => {
    throw new PgferryError('PGF_NOT_FOUND', `cannot read WAL file ${walPath}: ${(error as Error).message}`);
  });
  return { file, systemId, outcome: await uploadWalFile(storage, systemId, file, contents, options) };
}

/** restore_command: writes stored `file` to `destination`; PGF_WAL_SEGMENT_MISSING (non-zero exit) when it is not stored. */
export async function fetchWal(
  storage: ArchiveStorage,
  file: string,
  destination: string,
  options: { encryptionSecret?: string | undefined; systemId?: string | undefined },
): Promise<{ file: string; systemId: string; size: number }> {
  assertWalFileName(file);
  const systemId = options.systemId ?? (await systemIdOfDataDir());
  const meta = await fetchWalFile(storage, systemId, file, path.resolve(destination), options.encryptionSecret);
  return { file, systemId, size: meta.size };
}
