import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { restoredName } from '../../src/engine/physical/apply-incremental.js';
import { applyIncrementalFile, blockSize } from '../../src/engine/physical/incremental-file.js';
import { TarReader } from '../../src/engine/physical/tar-reader.js';

function tarHeader(name: string, size: number): Buffer {
  const header = Buffer.alloc(512);
  header.write(name, 0);
  header.write('0000600\0', 100);
  header.write(`${size.toString(8).padStart(11, '0')}\0`, 124);
  header.write('        ', 148);
  header.write('0', 156);
  header.write('ustar\u000000', 257);
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, '0')}\0`, 148);
  return header;
}

const block = (fill: number) => Buffer.alloc(blockSize, fill);

/** An INCREMENTAL file as the server writes it: magic, count, truncation length, block numbers, (padding,) blocks. */
function incremental(blocks: Record<number, number>, truncation: number, pad: boolean): Buffer {
  const numbers = Object.keys(blocks).map(Number);
  const head = Buffer.alloc(12 + numbers.length * 4);
  head.writeUInt32LE(0xd3ae1f0d, 0);
  head.writeUInt32LE(numbers.length, 4);
  head.writeUInt32LE(truncation, 8);
  numbers.forEach((number, index) => head.writeUInt32LE(number, 12 + index * 4));
  const padding = pad && numbers.length > 0 ? Buffer.alloc(blockSize - head.length) : Buffer.alloc(0);
  return Buffer.concat([head, padding, ...numbers.map((number) => block(blocks[number] as number))]);
}

async function apply(file: Buffer, target: string): Promise<string> {
  const tar = Buffer.concat([tarHeader('base/5/INCREMENTAL.16384', file.length), file, Buffer.alloc((512 - (file.length % 512)) % 512), Buffer.alloc(1024)]);
  // Awkward pieces: inside the header, inside the block numbers, inside a block.
  const reader = new TarReader(Readable.from([tar.subarray(0, 300), tar.subarray(300, 530), tar.subarray(530, 5000), tar.subarray(5000)]), 'base.tar');
  const entry = await reader.next();
  const hash = createHash('sha256');
  await applyIncrementalFile(reader, entry!.size, target, 'INCREMENTAL.16384', hash);
  expect(await reader.next()).toBeUndefined();
  return hash.digest('hex');
}

describe('incremental relation files', () => {
  let home: string;
  beforeAll(async () => {
    home = await mkdtemp(path.join(os.tmpdir(), 'pgferry-incfile-'));
  });
  afterAll(async () => {
    await rm(home, { recursive: true, force: true });
  });

  it.each([true, false])('patches changed blocks, keeps the rest, cuts the tail (header padded to a block: %s)', async (pad) => {
    const target = path.join(home, `rel-${pad}`);
    await writeFile(target, Buffer.concat([block(1), block(2), block(3), block(4), block(5)]));
    const file = incremental({ 1: 9 }, 3, pad);
    const digest = await apply(file, target);
    expect(digest).toBe(createHash('sha256').update(file).digest('hex'));
    expect((await readFile(target)).equals(Buffer.concat([block(1), block(9), block(3)]))).toBe(true);
  });

  it('extends the file with blocks past its old end, zero-filling what no backup holds', async () => {
    const target = path.join(home, 'grow');
    await writeFile(target, block(1));
    await apply(incremental({ 3: 7 }, 2, true), target);
    expect((await readFile(target)).equals(Buffer.concat([block(1), Buffer.alloc(blockSize), Buffer.alloc(blockSize), block(7)]))).toBe(true);
  });

  it('truncates to nothing with an empty incremental file, and refuses blocks of a file that no earlier backup has', async () => {
    const target = path.join(home, 'gone');
    await writeFile(target, block(1));
    await apply(incremental({}, 0, false), target);
    expect((await readFile(target)).length).toBe(0);
    await expect(apply(incremental({ 0: 1 }, 2, true), path.join(home, 'missing'))).rejects.toMatchObject({ code: 'PGF_BACKUP_CHAIN_BROKEN' });
  });

  it('refuses a damaged header', async () => {
    const bad = incremental({ 0: 1 }, 1, true);
    bad.writeUInt32LE(0x12345678, 0);
    await writeFile(path.join(home, 'bad'), block(0));
    await expect(apply(bad, path.join(home, 'bad'))).rejects.toMatchObject({ code: 'PGF_ARCHIVE_CORRUPT', message: expect.stringContaining('magic') });
  });

  it('names the relation file an INCREMENTAL file restores', () => {
    expect(restoredName('base/5/INCREMENTAL.16384.2')).toBe('base/5/16384.2');
    expect(restoredName('pg_tblspc/16400/PG_17_202406281/5/INCREMENTAL.16390')).toBe('pg_tblspc/16400/PG_17_202406281/5/16390');
    expect(restoredName('base/5/16384_fsm')).toBe('base/5/16384_fsm');
  });
});
