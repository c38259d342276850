import { createHash, type Hash } from 'node:crypto';

import { PgferryError } from '../../errors/pgferry-error.js';
import { type ArchiveChunks, chunkRawLength } from '../archive/archive-chunks.js';
import { undecodableFile } from '../archive/archive-files.js';
import { type ChunkSlot, type ChunkWorkers, type FileSegment, directSectorBytes } from '../archive/chunk-workers.js';
import type { Compression } from '../archive/compression.js';
import type { PhysicalFile } from '../archive/manifest.js';
import { type BackgroundSync, flushEveryBytes } from '../storage/durable-fs.js';
import type { ChunkSource } from './chunk-source.js';
import { directSegment } from './direct-segment.js';
import { TarEntryPlacer, manifestMismatch } from './tar-entry.js';
import { type TarHeader, parseTarHeader, tarBlock, tarPadding } from './tar-scanner.js';

export interface ChunkedExtractOptions {
  /** The stored bytes (compressed, decrypted), checked against the manifest's sha256 as they are read. */
  source: ChunkSource;
  chunks: ArchiveChunks;
  compression: Exclude<Compression, 'none'>;
  root: string;
  /** The stored file's name, for messages. */
  archive: string;
  /** Files the manifest lists, by path; each one found is removed. */
  expected: Map<string, PhysicalFile>;
  /** Prefix of manifest paths (tablespace archives: `pg_tblspc/<oid>/`). */
  prefix: string;
  workers: ChunkWorkers;
  /** Takes each file once it is whole on disk, and a large one every flushEveryBytes written, to flush it while the rest is written. */
  sync?: BackgroundSync | undefined;
  onSymlink: (entry: TarHeader) => Promise<void>;
  signal?: AbortSignal | undefined;
}

/** Files smaller than this are flushed after the larger ones (BackgroundSync.add's `later`), and written through the page cache. */
const smallFileBytes = 1024 * 1024;

/** Bytes of one file in a decoded chunk, hashed in archive order; `last`: the file ends there. */
interface Hashing {
  file: OpenFile;
  bytes: Buffer;
  last: boolean;
}

/** The file being written when a chunk ends inside it. */
interface OpenFile {
  name: string;
  target: string;
  listed: PhysicalFile;
  offset: number;
  left: number;
  hash: Hash;
  /** Bytes handed to the writer since the file was last given to `sync`. */
  unflushed: number;
  /** Written with direct I/O (large, and the slots' memory aligned)… */
  direct: boolean;
  /** …the bytes of it that the last chunk left for the next (direct-segment.ts). */
  carry: Uint8Array | undefined;
}

/**
 * Extracts a chunked tar archive (see archive-chunks.ts) with every thread of `workers`:
 * chunk i is decoded and written on thread i mod N while this thread reads the next chunks,
 * walks the tar headers in order and hashes each file's bytes (checked against the manifest
 * while the chunk is written). max(N + 1, 6) chunks are in flight, each in a slot of shared
 * memory, reused. Files of 1 MiB and more are written with direct I/O where the slots' memory
 * is aligned and the file system takes it (direct-segment.ts): the disk reads them from the
 * slot, where the page cache would take a copy of every byte and flush it again (790 MB zstd
 * restore, six interleaved cold runs: 1.50 s against 1.97 s, CPU 1.83 s against 2.79 s).
 */
export async function extractChunkedArchive(options: ChunkedExtractOptions): Promise<{ files: number; bytes: number }> {
  const { chunks, archive, workers } = options;
  const placer = new TarEntryPlacer(options);
  let files = 0;
  let bytes = 0;
  let open: OpenFile | undefined;
  let pad = 0;
  let ended = false;

  /**
   * Walks the tar headers of one decoded chunk in archive order; returns what of it goes into
   * which file, and what of it each file's hash takes (hashed once the writes are handed on).
   */
  const walk = async (data: Uint8Array, aligned: boolean): Promise<{ segments: FileSegment[]; hashing: Hashing[] }> => {
    const buffer = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    const segments: FileSegment[] = [];
    const hashing: Hashing[] = [];
    let at = 0;
    while (at < buffer.length) {
      if (pad > 0) {
        const skip = Math.min(pad, buffer.length - at);
        at += skip;
        pad -= skip;
        continue;
      }
      if (open) {
        const take = Math.min(open.left, buffer.length - at);
        if (open.direct) {
          const planned = directSegment({ path: open.target, offset: open.offset, start: at, take, size: open.listed.size, chunk: data, carry: open.carry });
          open.carry = planned.carry;
          segments.push(planned.segment);
        } else segments.push({ path: open.target, offset: open.offset, start: at, length: take });
        open.offset += take;
        open.left -= take;
        hashing.push({ file: open, bytes: buffer.subarray(at, at + take), last: open.left === 0 });
        at += take;
        if (open.left === 0) {
          pad = tarPadding(open.listed.size);
          open = undefined;
        }
        continue;
      }
      if (ended) break; // the end-of-archive zero blocks
      const header = parseTarHeader(buffer.subarray(at, at + tarBlock), archive);
      at += tarBlock;
      if (!header) {
        ended = true;
        continue;
      }
      const placed = await placer.place(header);
      if (!placed) continue;
      // Large files skip the page cache where the slots allow it (direct-segment.ts).
      const direct = aligned && header.size >= smallFileBytes && at % directSectorBytes === 0;
      const file: OpenFile = { ...placed, offset: 0, left: header.size, hash: createHash('sha256'), unflushed: 0, direct, carry: undefined };
      // An empty file is created by its (empty) segment.
      if (header.size === 0) {
        segments.push({ path: file.target, offset: 0, start: at, length: 0 });
        hashing.push({ file, bytes: buffer.subarray(at, at), last: true });
      } else open = file;
    }
    return { segments, hashing };
  };

  /** Files to flush after each chunk (those ending in it, and large ones partly written), once it and every chunk before it are written. */
  const flushAfter = new Map<number, { target: string; later: boolean }[]>();
  const writtenChunks = new Set<number>();
  let allWrittenBelow = 0;
  const chunkWritten = (index: number) => {
    writtenChunks.add(index);
    while (writtenChunks.delete(allWrittenBelow)) {
      for (const { target, later } of flushAfter.get(allWrittenBelow) ?? []) options.sync?.add(target, later);
      flushAfter.delete(allWrittenBelow);
      allWrittenBelow += 1;
    }
  };

  /** Hashes what the walk of chunk `index` found, in archive order; a finished file must match the manifest. */
  const hash = (hashing: Hashing[], index: number) => {
    const flush: { target: string; later: boolean }[] = [];
    for (const { file, bytes: data, last } of hashing) {
      file.hash.update(data);
      file.unflushed += data.length;
      if (!last) {
        // Also flushed while written, so the disk writes a large relation file while the rest
        // comes in instead of all of it once it ends (790 MB restore on a busy machine, three
        // pairs: 33-57 MB instead of 35-145 MB left to write after the last chunk, and the
        // flush after it 0.17-0.21 s instead of 0.26-0.67 s).
        if (file.unflushed >= flushEveryBytes) {
          file.unflushed = 0;
          flush.push({ target: file.target, later: false });
        }
        continue;
      }
      if (file.hash.digest('hex') !== file.listed.sha256) throw manifestMismatch(file.name, archive, 'sha256');
      files += 1;
      bytes += file.listed.size;
      flush.push({ target: file.target, later: file.listed.size < smallFileBytes });
    }
    flushAfter.set(index, flush);
  };

  // Six chunks in flight (at least one per thread and one being read): a write that stalls in
  // the page cache does not stop the reads and decodes behind it (restore of 790 MB on two
  // threads: 1.71-1.97 s against 1.89-2.21 s with three; a slot holds up to 8 MB).
  const slotCount = Math.max(workers.size + 1, 6);
  const slots = await workers.slots(slotCount, chunks.stored.reduce((max, size) => Math.max(max, size), 0), chunks.raw); // no spread: an index has ~260 000 entries per TB
  const written: Promise<void>[] = [];
  let walked: Promise<unknown> = Promise.resolve();
  try {
    for (let index = 0; index < chunks.stored.length; index += 1) {
      options.signal?.throwIfAborted();
      // Slot reuse: chunk `index - slotCount` must be written before its slot is filled again.
      if (index >= slotCount) await written[index - slotCount];
      const at = index % slotCount;
      const slot = slots[at] as ChunkSlot;
      await options.source.read(slot.stored.subarray(0, chunks.stored[index]));
      const raw = chunkRawLength(chunks, index);
      const decoded = workers.decode(index, at, options.compression, chunks.stored[index] as number, raw).then((length) => {
        if (length !== raw) throw new PgferryError('PGF_ARCHIVE_CORRUPT', `chunk ${index} of ${archive} decodes to ${length} bytes, the manifest says ${raw}; restore from another copy of the backup`);
      });
      decoded.catch(() => undefined); // awaited through the walk, which may have failed before it
      // Headers are walked (and files hashed) in archive order; writes run on the threads.
      // The writes are handed on before the bytes are hashed: the thread writes while this one
      // hashes (a file whose hash differs fails the restore, and the staging directory goes).
      const walkedChunk = walked.then(() => decoded).then(() => walk(slot.raw.subarray(0, raw), slot.aligned));
      const handed = walkedChunk.then(async ({ segments, hashing }) => {
        const write = workers.write(index, at, segments);
        try {
          hash(hashing, index);
        } catch (error) {
          await write.catch(() => undefined); // nothing may still write once the caller removes the files
          throw error;
        }
        return { write };
      });
      walked = handed;
      const done = handed.then(({ write }) => write).then(() => chunkWritten(index));
      done.catch(() => undefined); // awaited below, in order
      written.push(done);
    }
    await Promise.all(written);
  } catch (error) {
    await Promise.allSettled(written);
    throw error instanceof PgferryError ? error : undecodableFile(archive, 'a chunk', error as Error);
  }
  if (open) throw new PgferryError('PGF_ARCHIVE_CORRUPT', `${archive} ends inside ${open.name}; the archive is truncated`);
  await options.source.finish();
  return { files, bytes };
}
