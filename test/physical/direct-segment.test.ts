import { randomBytes } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import { type FileSegment, directPageBytes, directSectorBytes } from '../../src/engine/archive/chunk-workers.js';
import { directSegment } from '../../src/engine/physical/direct-segment.js';

/**
 * Cuts a file of `size` bytes, whose data starts `start` bytes into the first chunk, into
 * chunks of `chunkBytes` (tar padding after it, as in an archive), plans every chunk's segment
 * and writes them the way the restore threads do: the prefix at `offset - prefix.length`, then
 * the chunk's bytes; direct ones padded to a sector and cut back to the size.
 */
function restoreThroughSegments(size: number, start: number, chunkBytes: number) {
  const content = randomBytes(size);
  const padded = Math.ceil((start + size) / directSectorBytes) * directSectorBytes;
  const stream = new Uint8Array(Math.ceil(padded / chunkBytes) * chunkBytes);
  stream.set(content, start);
  const file = new Uint8Array(size + directPageBytes);
  let written = 0;
  const segments: FileSegment[] = [];
  let carry: Uint8Array | undefined;
  let offset = 0;
  for (let chunkAt = 0; offset < size; chunkAt += chunkBytes) {
    const chunk = stream.subarray(chunkAt, chunkAt + chunkBytes);
    const at = chunkAt === 0 ? start : 0;
    const take = Math.min(size - offset, chunk.length - at);
    const planned = directSegment({ path: 'f', offset, start: at, take, size, chunk, carry });
    carry = planned.carry;
    const { segment } = planned;
    segments.push(segment);
    const prefix = segment.prefix ?? new Uint8Array(0);
    const bytes = Buffer.concat([prefix, chunk.subarray(segment.start, segment.start + segment.length)]);
    const length = segment.direct && segment.size !== undefined ? Math.ceil(bytes.length / directSectorBytes) * directSectorBytes : bytes.length;
    const from = segment.offset - prefix.length;
    // The padded tail comes from the chunk (the tar padding), as the threads write it.
    const tail = chunk.subarray(segment.start + segment.length, segment.start + segment.length + length - bytes.length);
    file.set(Buffer.concat([bytes, tail]), from);
    written = Math.max(written, from + length);
    offset += take;
  }
  return { content, file: file.subarray(0, Math.min(written, size)), segments, carry };
}

describe('direct I/O segments of a large file across chunks', () => {
  const cases: [string, number, number, number][] = [
    ['a page multiple starting mid-page, 64 KiB chunks', 40 * 8192, 1536, 64 * 1024],
    ['an odd size, 4 MiB chunks', 5 * 1024 * 1024 + 123, 512, 4 * 1024 * 1024],
    ['an odd size ending within the first page of a chunk', 3 * 65536 + 700, 3584, 65536],
    ['a file starting in the last sector of a chunk', 200_000, 65536 - 512, 65536],
    ['chunks smaller than a page (every byte carried at first)', 10_000 + 17, 512, 1024],
  ];

  it.each(cases)('%s: the pieces put together are the file; every write starts on a page boundary and all but the last are whole pages', (_, size, start, chunkBytes) => {
    const { content, file, segments, carry } = restoreThroughSegments(size, start, chunkBytes);
    expect(Buffer.from(file).equals(content)).toBe(true);
    expect(carry).toBeUndefined();
    const writes = segments.filter((segment) => segment.length + (segment.prefix?.length ?? 0) > 0);
    for (const [index, segment] of writes.entries()) {
      const carried = segment.prefix?.length ?? 0;
      expect(segment.direct).toBe(true);
      expect((segment.offset - carried) % directPageBytes).toBe(0);
      if (index < writes.length - 1) expect((carried + segment.length) % directPageBytes).toBe(0);
      // The bytes after a carried prefix start on a sector of the chunk's (page-aligned) memory.
      const head = carried > 0 ? directPageBytes - carried : 0;
      if (segment.length > head) expect((segment.start + head) % directSectorBytes).toBe(0);
    }
    expect(segments.at(-1)?.size).toBe(size);
    expect(segments.slice(0, -1).every((segment) => segment.size === undefined)).toBe(true);
  });

  it('a last sector that would run past the chunk (a malformed archive) is written through the page cache', () => {
    const chunk = new Uint8Array(4096);
    const { segment } = directSegment({ path: 'f', offset: 4096 * 10, start: 0, take: 4096 - 100, size: 4096 * 11 - 100, chunk: chunk.subarray(0, 4000), carry: undefined });
    expect(segment.direct).toBe(false);
    expect(segment.size).toBe(4096 * 11 - 100);
  });
});
