import { type FileSegment, directPageBytes, directSectorBytes } from '../archive/chunk-workers.js';

const roundUp = (value: number, to: number) => Math.ceil(value / to) * to;

export interface DirectPiece {
  path: string;
  /** Where the chunk's bytes of the file go in it. */
  offset: number;
  /** Where they start in the decoded chunk (a multiple of 512: tar data starts after a 512-byte header). */
  start: number;
  /** How many of the file's bytes the chunk holds. */
  take: number;
  /** The file's size; `offset + take === size` when the file ends in this chunk. */
  size: number;
  /** The decoded chunk. */
  chunk: Uint8Array;
  /** Bytes of the file just before `offset` that the previous chunk left for this one. */
  carry: Uint8Array | undefined;
}

/**
 * What of one chunk's bytes of a large file is written now with direct I/O, and what waits for
 * the next chunk. A chunk ends anywhere in a file, so all but the last `(offset + take) % 4096`
 * bytes are written, from a page boundary to a page boundary; the rest (under 4 KiB, copied) is
 * written with the next chunk's bytes, in front of them. So no page is written by two threads,
 * and no write is only sector-aligned. The file's last write is padded to a whole sector with
 * the tar padding after it, and the worker cuts the file back to `size`.
 */
export function directSegment(piece: DirectPiece): { segment: FileSegment; carry: Uint8Array | undefined } {
  const carried = piece.carry?.length ?? 0;
  const ends = piece.offset + piece.take === piece.size;
  const total = carried + piece.take;
  // (offset - carried) is on a page boundary: the file started at 0, and every carry ends on one.
  const left = ends ? 0 : total % directPageBytes;
  const fromChunk = total - left - carried;
  const segment: FileSegment = { path: piece.path, offset: piece.offset, start: piece.start, length: Math.max(0, fromChunk), direct: true };
  if (carried > 0 && fromChunk >= 0) segment.prefix = piece.carry;
  if (ends) segment.size = piece.size;
  // The padded last sector must be in the chunk (it is whenever the tar is well formed).
  if (ends && piece.start + roundUp(piece.take, directSectorBytes) > piece.chunk.length) segment.direct = false;
  if (left === 0) return { segment, carry: undefined };
  // Copied: the chunk's memory is reused before the next chunk is written.
  const carry = new Uint8Array(left);
  if (fromChunk >= 0) carry.set(piece.chunk.subarray(piece.start + fromChunk, piece.start + piece.take));
  else {
    // Too few bytes for a page even with the carry: all of it waits.
    carry.set(piece.carry as Uint8Array);
    carry.set(piece.chunk.subarray(piece.start, piece.start + piece.take), carried);
  }
  return { segment, carry };
}
