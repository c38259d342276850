// Bundles the CLI into dist/cli (npm run build:cli; npm ci runs it through `prepare`).
// Node then loads a handful of files instead of transpiling ~300 TypeScript modules through
// tsx's loader on every start: `pgferry sync --help` 0.5 s → 0.2 s. bin/pgferry.js falls back
// to the sources whenever a file under src/ is newer than the bundle.
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outdir = path.join(root, 'dist', 'cli');
await rm(outdir, { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: ['src/cli/main.ts'],
  outdir,
  bundle: true,
  splitting: true, // commands stay lazily loaded chunks
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  logLevel: 'warning',
});
