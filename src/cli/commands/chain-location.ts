import path from 'node:path';

import type { ArchiveLocation } from '../../engine/archive/archive-files.js';
import { openStorage, parseLocation } from '../../engine/storage/open-storage.js';

/**
 * An incremental backup's parents sit beside it. A backup given as a directory or s3:// URL
 * is opened as its own storage root, where no sibling can be seen: it is opened one level up
 * instead (same files, its parent directory visible). Other locations are returned as they are.
 */
export function chainLocation(archiveText: string, location: ArchiveLocation): { location: ArchiveLocation; close(): Promise<void> } {
  const same = { location, close: async () => undefined };
  if (location.path !== '') return same;
  const parsed = parseLocation(archiveText);
  if (!parsed) return same;
  const { spec } = parsed;
  if (spec.kind === 'local') {
    if (path.dirname(spec.path) === spec.path) return same;
    const storage = openStorage({ ...spec, path: path.dirname(spec.path) });
    return { location: { storage, path: path.basename(spec.path) }, close: () => storage.close() };
  }
  if (spec.kind === 's3' && spec.prefix) {
    const slash = spec.prefix.lastIndexOf('/');
    const storage = openStorage({ ...spec, prefix: slash < 0 ? undefined : spec.prefix.slice(0, slash) });
    return { location: { storage, path: spec.prefix.slice(slash + 1) }, close: () => storage.close() };
  }
  return same;
}
