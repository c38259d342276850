import type { Hash } from 'node:crypto';
import { open } from 'node:fs/promises';

import { PgferryError } from '../../errors/pgferry-error.js';
import type { TarReader } from './tar-reader.js';

/*
 * PostgreSQL 17+'s INCREMENTAL.<relfile> (backup/basebackup_incremental.c): a header of
 * uint32s in the server's byte order — magic, block count n, truncation block length, n
 * block numbers — then the n blocks. When n > 0 the header is padded to a whole block on
 * the servers that align the data; this reader accepts both layouts, told apart by the
 * file's size.
 */

export const incrementalPrefix = 'INCREMENTAL.';
const incrementalMagic = 0xd3ae1f0d;
/** BLCKSZ of the builds we read (the default); any other size fails the size check below. */
export const blockSize = 8192;
/** RELSEG_SIZE: blocks in one 1 GB relation segment. */
const segmentBlocks = 131072;

export interface IncrementalHeader {
  blocks: number[];
  /** Blocks the file has at least (the file's length when the backup started, in blocks). */
  truncationBlocks: number;
  /** Bytes before the first block (the header and its padding). */
  dataOffset: number;
}

export function parseIncrementalHeader(fixed: Buffer, readNumbers: (count: number) => Buffer, size: number, name: string): IncrementalHeader {
  const bad = (why: string) => new PgferryError('PGF_ARCHIVE_CORRUPT', `${name} is not a valid incremental file (${why}); the backup is damaged — restore from another copy or an earlier full backup`);
  if (fixed.length < 12) throw bad('too short');
  const little = fixed.readUInt32LE(0) === incrementalMagic;
  if (!little && fixed.readUInt32BE(0) !== incrementalMagic) throw bad('bad magic number');
  const u32 = (buffer: Buffer, offset: number) => (little ? buffer.readUInt32LE(offset) : buffer.readUInt32BE(offset));
  const count = u32(fixed, 4);
  const truncationBlocks = u32(fixed, 8);
  if (count > segmentBlocks || truncationBlocks > segmentBlocks) throw bad(`block count ${count}, truncation length ${truncationBlocks}`);
  const numbers = count > 0 ? readNumbers(count * 4) : Buffer.alloc(0);
  const blocks: number[] = [];
  for (let i = 0; i < count; i += 1) blocks.push(u32(numbers, i * 4));
  const raw = 12 + count * 4;
  const padded = Math.ceil(raw / blockSize) * blockSize;
  const data = count * blockSize;
  const dataOffset = size === raw + data ? raw : size === padded + data ? padded : -1;
  if (dataOffset < 0) throw bad(`${size} bytes for ${count} blocks of ${blockSize} bytes`);
  return { blocks, truncationBlocks, dataOffset };
}

/**
 * Applies the incremental file the reader stands at onto `target`, the same relation file as
 * restored from the earlier backups of the chain: cut (or zero-extended) to the truncation
 * length, then every block the file carries written at its place. Blocks past the truncation
 * length that the file does not carry do not exist any more; blocks before it that no backup
 * carries stay as they were (pg_combinebackup's rule). Every byte read goes into `hash`.
 */
export async function applyIncrementalFile(reader: TarReader, size: number, target: string, name: string, hash: Hash): Promise<void> {
  const take = async (bytes: number) => {
    const chunk = await reader.read(bytes);
    hash.update(chunk);
    return chunk;
  };
  const fixed = await take(Math.min(12, size));
  let numbers: Buffer = Buffer.alloc(0);
  if (fixed.length === 12 && size > 12) {
    const count = fixed.readUInt32LE(0) === incrementalMagic ? fixed.readUInt32LE(4) : fixed.readUInt32BE(4);
    if (count <= segmentBlocks && size >= 12 + count * 4) numbers = await take(count * 4);
  }
  const header = parseIncrementalHeader(fixed, () => numbers, size, name);
  if (header.dataOffset > 12 + numbers.length) await take(header.dataOffset - 12 - numbers.length);
  const file = await open(target, 'r+').catch(async (error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error;
    if (header.truncationBlocks > 0) {
      throw new PgferryError('PGF_BACKUP_CHAIN_BROKEN', `${name} changes blocks of a relation file that no earlier backup of the chain holds; the chain is not the one this backup was taken on — restore an earlier full backup`);
    }
    return open(target, 'w', 0o600);
  });
  try {
    await file.truncate(header.truncationBlocks * blockSize);
    for (const block of header.blocks) {
      const data = await take(blockSize);
      await file.write(data, 0, blockSize, block * blockSize);
    }
  } finally {
    await file.close();
  }
}
