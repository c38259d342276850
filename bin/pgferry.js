#!/usr/bin/env node
// Runs the bundled CLI (dist/cli, built by `npm run build:cli`, which `npm ci` runs) when no
// source file is newer than it; otherwise the TypeScript sources through tsx, so an edited
// checkout never runs a stale bundle and a fresh clone needs no build step.
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bundle = path.join(root, 'dist', 'cli', 'main.js');

function bundleIsCurrent() {
  if (process.env.PGFERRY_FROM_SOURCE === '1' || !existsSync(bundle)) return false;
  const built = statSync(bundle).mtimeMs;
  const sources = path.join(root, 'src');
  for (const entry of readdirSync(sources, { recursive: true, withFileTypes: true })) {
    if (entry.isFile() && statSync(path.join(entry.parentPath, entry.name)).mtimeMs > built) return false;
  }
  return true;
}

let main;
if (bundleIsCurrent()) {
  ({ main } = await import(bundle));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../src/cli/main.ts'));
}
await main(process.argv);
