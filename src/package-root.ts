import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The directory holding pgferry's package.json, found from this module's own location, so
 * the same code finds `fixtures/`, `web/dist/` and the migrations whether it runs from
 * `src/` through tsx or from the bundle in `dist/`.
 */
function findPackageRoot(from: string): string {
  for (let dir = path.dirname(from); ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`pgferry: no package.json above ${from}`);
  }
}

export const packageRoot = findPackageRoot(fileURLToPath(import.meta.url));
