import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { FileWriteWorker } from '../../src/engine/physical/file-write-worker.js';

const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');

describe('FileWriteWorker', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'pgferry-write-worker-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes files of every size in odd chunks, more than its buffers hold at once, and reports each SHA-256', async () => {
    const writer = new FileWriteWorker();
    try {
      // 20 MiB crosses the 16 reused 1 MiB buffers; 0 bytes and one byte are the small edges.
      const contents = [Buffer.alloc(0), Buffer.from('x'), randomBytes(20 * 1024 * 1024 + 7), randomBytes(1024 * 1024)];
      const ends: Promise<string>[] = [];
      for (const [index, content] of contents.entries()) {
        const sink = writer.file(path.join(dir, `f${index}`), 0o600);
        for (let at = 0; at < content.length; at += 65_531) await sink.write(content.subarray(at, at + 65_531));
        ends.push(sink.end());
      }
      expect(await Promise.all(ends)).toEqual(contents.map(sha));
      for (const [index, content] of contents.entries()) expect((await readFile(path.join(dir, `f${index}`))).equals(content)).toBe(true);
    } finally {
      await writer.close();
    }
  });

  it('reports a file it cannot create at its end, and goes on with the next one', async () => {
    const writer = new FileWriteWorker();
    try {
      const missing = writer.file(path.join(dir, 'no-such-dir', 'f'), 0o600);
      await missing.write(Buffer.from('lost'));
      await expect(missing.end()).rejects.toMatchObject({ code: 'ENOENT' });
      const next = writer.file(path.join(dir, 'next'), 0o600);
      await next.write(Buffer.from('kept'));
      expect(await next.end()).toBe(sha(Buffer.from('kept')));
    } finally {
      await writer.close();
    }
  });
});
