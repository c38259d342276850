import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { onPath } from '../../src/engine/archive/on-path.js';

const savedPath = process.env.PATH;
afterEach(() => {
  process.env.PATH = savedPath;
});

describe('onPath', () => {
  it('finds an executable in a PATH directory, not a file that cannot run nor one outside PATH', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'pgferry-onpath-'));
    try {
      await writeFile(path.join(dir, 'runs'), '#!/bin/sh\n', { mode: 0o755 });
      await writeFile(path.join(dir, 'plain'), 'data', { mode: 0o644 });
      process.env.PATH = ['', '/nonexistent-dir', dir].join(path.delimiter);
      expect(onPath('runs')).toBe(true);
      // root may execute a file without x bits only if some x bit is set: 0644 is refused for everyone.
      expect(onPath('plain')).toBe(false);
      expect(onPath('sh')).toBe(false);
      process.env.PATH = '';
      expect(onPath('runs')).toBe(false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
