import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { prefetchLocalBackup } from '../../src/cli/commands/prefetch-local-backup.js';

// What the page cache holds afterwards cannot be seen from a test; what can: how much was
// read, that the limit and stop() are kept, and that anything but a readable local directory
// ends the prefetch quietly (the restore itself reports what it cannot read).
describe('reading a local backup ahead', () => {
  let dir: string;
  const mib = 1024 * 1024;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'pgferry-prefetch-'));
    await writeFile(path.join(dir, 'manifest.json'), '{}');
    await writeFile(path.join(dir, 'base.tar.zst'), Buffer.alloc(3 * mib + 5, 1));
    await writeFile(path.join(dir, 'pg_tblspc_16385.tar.zst'), Buffer.alloc(mib, 2));
    await mkdir(path.join(dir, 'not-a-file'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads every file of the directory up to the limit', async () => {
    expect(await prefetchLocalBackup(dir, 64 * mib).finished).toBe(2 + 3 * mib + 5 + mib);
    expect(await prefetchLocalBackup(dir, mib + mib / 2).finished).toBe(mib + mib / 2);
  });

  it('reads nothing once stopped', async () => {
    const prefetch = prefetchLocalBackup(dir, 64 * mib);
    prefetch.stop();
    expect(await prefetch.finished).toBe(0);
  });

  it('ends quietly for a missing path, a file, a backup id or a storage path', async () => {
    for (const text of [path.join(dir, 'missing'), path.join(dir, 'manifest.json'), '0d6f1f5e-3c1b-4d6e-9f2a-1b2c3d4e5f60', 'nightly:base-2026'])
      expect(await prefetchLocalBackup(text, 64 * mib).finished).toBe(0);
  });
});
