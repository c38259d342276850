import { mkdir, mkdtemp, open, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { BackgroundSync, FlushWhileWriting, syncDirectory, syncFile, syncTree } from '../../src/engine/storage/durable-fs.js';

// fsync's effect (data on disk after a crash) cannot be seen from a test; what can: every file
// handed over is flushed and reported, a failure is not swallowed, and a tree with links and
// empty directories is walked to the end.
describe('durable writes', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'pgferry-durable-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('flushes a tree of files, empty directories and links', async () => {
    const root = path.join(dir, 'tree');
    await mkdir(path.join(root, 'base', '1'), { recursive: true });
    await mkdir(path.join(root, 'pg_wal', 'archive_status'), { recursive: true });
    await writeFile(path.join(root, 'base', '1', '1259'), Buffer.alloc(8192, 1));
    await writeFile(path.join(root, 'PG_VERSION'), '17\n');
    await writeFile(path.join(root, 'empty'), '');
    await symlink('/nonexistent/tablespace', path.join(root, 'link'));
    await expect(syncTree(root)).resolves.toBeUndefined();
    await expect(syncTree(root, new Set([path.join(root, 'PG_VERSION')]))).resolves.toBeUndefined();
    await expect(syncDirectory(root)).resolves.toBeUndefined();
  });

  it('reports a file it cannot flush', async () => {
    await expect(syncFile(path.join(dir, 'missing'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('flushes files in the background, reports every one, and throws the first failure at the end', async () => {
    const files = await Promise.all(
      Array.from({ length: 9 }, async (_, i) => {
        const file = path.join(dir, `f${i}`);
        await writeFile(file, `file ${i}`);
        return file;
      }),
    );
    const sync = new BackgroundSync();
    for (const file of files) sync.add(file);
    expect([...(await sync.drain())].sort()).toEqual([...files].sort());
    await expect(new BackgroundSync().drain()).resolves.toEqual(new Set());

    // drain(n) flushes what is still queued n at a time; a file given twice (flushed while
    // written, then at its end) is flushed twice and reported once.
    const widened = new BackgroundSync(1);
    for (const file of files) widened.add(file);
    widened.add(files[0] as string);
    expect([...(await widened.drain(8))].sort()).toEqual([...files].sort());

    const failing = new BackgroundSync();
    failing.add(files[0] as string);
    failing.add(path.join(dir, 'gone'));
    failing.add(files[1] as string);
    await expect(failing.drain()).rejects.toMatchObject({ code: 'ENOENT' });
    expect(failing.synced.has(files[1] as string)).toBe(true);
  });

  it('flushes the files given as later only when no other file waits, and still all of them before drain returns', async () => {
    const files = await Promise.all(
      ['small-a', 'small-b', 'small-c', 'large-a', 'large-b'].map(async (name) => {
        const file = path.join(dir, name);
        await writeFile(file, name);
        return file;
      }),
    );
    const [smallA, smallB, smallC, largeA, largeB] = files as [string, string, string, string, string];
    // One at a time, so the order of `synced` is the order of the flushes: small-a starts at
    // once (nothing else waits), then both large files before the two small ones queued earlier.
    const sync = new BackgroundSync(1);
    sync.add(smallA, true);
    sync.add(smallB, true);
    sync.add(largeA);
    sync.add(smallC, true);
    sync.add(largeB);
    expect([...(await sync.drain())]).toEqual([smallA, largeA, largeB, smallB, smallC]);

    const failing = new BackgroundSync(1);
    failing.add(path.join(dir, 'gone'), true);
    await expect(failing.drain()).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('flushes a file while it is written without changing a byte, and fails the write when a flush fails', async () => {
    const pieces = Array.from({ length: 50 }, (_, i) => Buffer.alloc(1000 + i, i));
    const target = path.join(dir, 'streamed');
    const file = await open(target, 'w');
    // A flush every 4 KB: a dozen while the 51 KB go through.
    await pipeline(Readable.from(pieces), new FlushWhileWriting(file.fd, 4096), file.createWriteStream());
    expect((await readFile(target)).equals(Buffer.concat(pieces))).toBe(true);

    // A descriptor fdatasync refuses (a character device: EINVAL) stands for a failing disk.
    const device = await open('/dev/null', 'w');
    await expect(pipeline(Readable.from(pieces), new FlushWhileWriting(device.fd, 4096), device.createWriteStream())).rejects.toMatchObject({ code: 'EINVAL' });
  });
});
