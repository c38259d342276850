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
// Packages stay in node_modules, but zod: its ~100 ES modules took 122 ms to load on every
// start, one bundled file 48 ms. fastify-type-provider-zod is bundled with it so the API
// builds its schemas and checks requests with the same copy of zod.
const bundled = /^(zod|fastify-type-provider-zod)(\/|$)/;
const packagesExceptZod = {
  name: 'packages-except-zod',
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /^[^./]/ }, (args) => (bundled.test(args.path) || args.path.startsWith('node:') ? undefined : { path: args.path, external: true }));
  },
};
await build({
  absWorkingDir: root,
  entryPoints: ['src/cli/main.ts'],
  outdir,
  bundle: true,
  splitting: true, // commands stay lazily loaded chunks
  format: 'esm',
  platform: 'node',
  target: 'node20',
  plugins: [packagesExceptZod],
  logLevel: 'warning',
});
