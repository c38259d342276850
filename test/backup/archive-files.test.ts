import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';

import { afterAll, describe, expect, it } from 'vitest';

import { readArchiveText, writeArchiveFile } from '../../src/engine/archive/archive-files.js';
import { detectZstd } from '../../src/engine/archive/compression.js';
import { createArchiveKey, openArchiveKey } from '../../src/engine/archive/encryption.js';
import { LocalStorage } from '../../src/engine/storage/local-storage.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function location() {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'pgferry-archive-'));
  dirs.push(dir);
  return { storage: new LocalStorage(dir), path: 'a1', dir };
}

// Text with a repeated pattern plus random bytes, larger than one encryption frame.
const payload = `${'row\twith\ttabs\n'.repeat(40_000)}${randomBytes(300_000).toString('base64')}`;

describe('archive files', () => {
  for (const compression of ['gzip', 'zstd', 'none'] as const) {
    it(`round-trips with ${compression} and encryption`, async (context) => {
      if (compression === 'zstd' && !detectZstd().available) context.skip();
      const where = await location();
      const key = createArchiveKey('correct horse');
      const entry = await writeArchiveFile(where, 'data/t.copy', Readable.from([Buffer.from(payload)]), { compression, key: key.key });
      expect(entry.size).toBeGreaterThan(0);
      const text = await readArchiveText(where, entry, { compression, key: openArchiveKey('correct horse', key.encryption, 'test') });
      expect(text).toBe(payload);
    });
  }

  it('names the file as corrupt wherever one stored byte is flipped (deflate data, header, trailer)', async () => {
    const where = await location();
    const entry = await writeArchiveFile(where, 'data/t.copy.gz', Readable.from([Buffer.from(payload)]), { compression: 'gzip' });
    const file = path.join(where.dir, 'a1/data/t.copy.gz');
    const original = await readFile(file);
    // Some flips break the decoder mid-stream, others only the checksum at the end: both are the file being corrupt.
    for (const at of [4, Math.floor(original.length / 4), Math.floor(original.length / 2), Math.floor((original.length * 3) / 4), original.length - 6]) {
      const bytes = Buffer.from(original);
      bytes[at] = (bytes[at] ?? 0) ^ 0x01;
      await writeFile(file, bytes);
      await expect(readArchiveText(where, entry, { compression: 'gzip' }), `byte ${at} flipped`).rejects.toMatchObject({
        code: 'PGF_ARCHIVE_CORRUPT',
        message: expect.stringMatching(/data\/t\.copy\.gz/),
      });
    }
  });

  it('reports undecodable gzip data as the named file being corrupt, even when the manifest hash matches the damage', async () => {
    const where = await location();
    const entry = await writeArchiveFile(where, 'data/u.copy.gz', Readable.from([Buffer.from(payload)]), { compression: 'gzip' });
    const file = path.join(where.dir, 'a1/data/u.copy.gz');
    const bytes = await readFile(file);
    bytes[Math.floor(bytes.length / 2)] = (bytes[Math.floor(bytes.length / 2)] ?? 0) ^ 0x01;
    await writeFile(file, bytes);
    // Only the decoder (or the gzip CRC) can notice now: the error must still be ours and name the file.
    const forged = { ...entry, sha256: createHash('sha256').update(bytes).digest('hex') };
    await expect(readArchiveText(where, forged, { compression: 'gzip' })).rejects.toMatchObject({
      code: 'PGF_ARCHIVE_CORRUPT',
      message: expect.stringMatching(/archive file data\/u\.copy\.gz is corrupt: its gzip data does not decode/),
    });
  });

  it('a local zstd file, decoded by zstd reading it directly, round-trips and names a flipped byte, undecodable data and a missing file', async (context) => {
    if (detectZstd().via !== 'binary') context.skip();
    const where = await location();
    const entry = await writeArchiveFile(where, 'data/z.copy.zst', Readable.from([Buffer.from(payload)]), { compression: 'zstd' });
    expect(await readArchiveText(where, entry, { compression: 'zstd' })).toBe(payload);
    const file = path.join(where.dir, 'a1/data/z.copy.zst');
    const bytes = await readFile(file);
    bytes[Math.floor(bytes.length / 2)] = (bytes[Math.floor(bytes.length / 2)] ?? 0) ^ 0x01;
    await writeFile(file, bytes);
    await expect(readArchiveText(where, entry, { compression: 'zstd' })).rejects.toMatchObject({
      code: 'PGF_ARCHIVE_CORRUPT',
      message: expect.stringMatching(/archive file data\/z\.copy\.zst is corrupt \(sha256/),
    });
    const forged = { ...entry, sha256: createHash('sha256').update(bytes).digest('hex') };
    await expect(readArchiveText(where, forged, { compression: 'zstd' })).rejects.toMatchObject({
      code: 'PGF_ARCHIVE_CORRUPT',
      message: expect.stringMatching(/archive file data\/z\.copy\.zst is corrupt: its zstd data does not decode/),
    });
    await rm(file);
    await expect(readArchiveText(where, entry, { compression: 'zstd' })).rejects.toMatchObject({ code: 'PGF_NOT_FOUND' });
  });

  it('detects a flipped ciphertext byte through authentication even without the manifest hash', async () => {
    const where = await location();
    const key = createArchiveKey('s3cret');
    const entry = await writeArchiveFile(where, 'x.enc', Readable.from([Buffer.from(payload)]), { compression: 'none', key: key.key });
    const file = path.join(where.dir, 'a1/x.enc');
    const bytes = await readFile(file);
    bytes[100] = (bytes[100] ?? 0) ^ 0x80;
    await writeFile(file, bytes);
    const { sha256: _ignored, ...rest } = entry;
    const forged = { ...rest, sha256: createHash('sha256').update(bytes).digest('hex') };
    await expect(readArchiveText(where, forged, { compression: 'none', key: key.key })).rejects.toMatchObject({ code: 'PGF_ARCHIVE_CORRUPT', message: expect.stringMatching(/x\.enc/) });
  });

  it('refuses a wrong key with a clear error', () => {
    const key = createArchiveKey('right');
    expect(() => openArchiveKey('wrong', key.encryption, 'a1')).toThrow(/does not open archive a1 \(wrong key\)/);
    expect(() => openArchiveKey(undefined, key.encryption, 'a1')).toThrow(/encrypted/);
  });
});
