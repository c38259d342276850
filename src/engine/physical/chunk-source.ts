import type { Readable } from 'node:stream';

import { PgferryError } from '../../errors/pgferry-error.js';
import { type ArchiveLocation, corruptFile, openLocalArchive, readArchiveFile } from '../archive/archive-files.js';
import type { ManifestFile } from '../archive/manifest.js';
import { joinPath } from '../storage/archive-storage.js';

/** The stored (compressed, decrypted) bytes of a chunked archive, read chunk by chunk into memory the caller owns. */
export interface ChunkSource {
  /** Fills `into` with the next `into.length` bytes. */
  read(into: Uint8Array): Promise<void>;
  /** After the last chunk: the file must end here, and match the manifest's size and sha256. */
  finish(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A local unencrypted file is read straight into the caller's memory (no stream, no
 * buffer per read); its size is checked, not its sha256: every file restored from it is
 * checked against the manifest's sha256 of that file, as pgBackRest checks what it restores,
 * and `verify` hashes the stored files. Anything else goes through readArchiveFile, which
 * checks the stored bytes as they stream (and decrypts).
 */
export async function openChunkSource(location: ArchiveLocation, file: ManifestFile, key: Buffer | undefined): Promise<ChunkSource> {
  const local = key ? undefined : location.storage.localFile?.(joinPath(location.path, file.path));
  if (local !== undefined) return localSource(local, file);
  return streamSource(await readArchiveFile(location, file, { compression: 'none', key }), file);
}

async function localSource(target: string, file: ManifestFile): Promise<ChunkSource> {
  const handle = await openLocalArchive(target);
  let position = 0;
  const truncated = () => new PgferryError('PGF_ARCHIVE_CORRUPT', `archive file ${file.path} at ${target} ends before its chunk index says; the archive is truncated`);
  return {
    async read(into) {
      for (let filled = 0; filled < into.length; ) {
        const { bytesRead } = await handle.read(into, filled, into.length - filled, position);
        if (bytesRead === 0) throw truncated();
        filled += bytesRead;
        position += bytesRead;
      }
    },
    async finish() {
      const { size } = await handle.stat();
      if (size !== file.size) throw corruptFile(file, target, size, '');
      if (size !== position) throw new PgferryError('PGF_ARCHIVE_CORRUPT', `archive file ${file.path} at ${target} holds more bytes than its chunk index; the archive was altered`);
    },
    close: () => handle.close(),
  };
}

function streamSource(stream: Readable, file: ManifestFile): ChunkSource {
  const iterator = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let carry: Buffer = Buffer.alloc(0);
  return {
    async read(into) {
      for (let filled = 0; filled < into.length; ) {
        if (carry.length === 0) {
          const next = await iterator.next();
          if (next.done) throw new PgferryError('PGF_ARCHIVE_CORRUPT', `archive file ${file.path} ends before its chunk index says; the archive is truncated`);
          carry = next.value;
        }
        const take = Math.min(carry.length, into.length - filled);
        into.set(carry.subarray(0, take), filled);
        carry = carry.subarray(take);
        filled += take;
      }
    },
    async finish() {
      // Reading to the end is when the stream compares the stored bytes with the manifest.
      if (carry.length > 0 || !(await iterator.next()).done) throw new PgferryError('PGF_ARCHIVE_CORRUPT', `archive file ${file.path} holds more bytes than its chunk index; the archive was altered`);
    },
    async close() {
      stream.destroy();
    },
  };
}
