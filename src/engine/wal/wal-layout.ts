import { joinPath } from '../storage/archive-storage.js';
import { hex8 } from './lsn.js';

/**
 * Where WAL lives in a storage: `wal/<system id>/<timeline hex>/<file>[.gz|.zst][.enc]`, each
 * file with a `<file>.json` beside it (its checksum, size and how it was stored). The JSON is
 * written last: a file without one is an interrupted upload and does not count.
 */
export const walRoot = 'wal';

export const systemPrefix = (systemId: string) => joinPath(walRoot, systemId);

export const timelinePrefix = (systemId: string, timeline: number) => joinPath(walRoot, systemId, hex8(timeline));

export const metaPath = (systemId: string, timeline: number, file: string) => joinPath(timelinePrefix(systemId, timeline), `${file}.json`);

/** The encryption parameters (salt, key check) shared by every encrypted WAL file of one system. */
export const keyPath = (systemId: string) => joinPath(systemPrefix(systemId), 'encryption.json');

/** The timeline a WAL file belongs to, from its name: segments, `.partial`, `.backup` and `.history` files all start with it. */
export function timelineOfFile(file: string): number | undefined {
  return /^[0-9A-F]{8}/.test(file) ? Number.parseInt(file.slice(0, 8), 16) : undefined;
}

/** Names PostgreSQL hands to archive_command / restore_command (nothing that could climb out of the prefix). */
export const isWalFileName = (file: string) => /^[0-9A-F]{8}([0-9A-F]{16}(\.partial|\.[0-9A-F]{8}\.backup)?|\.history)$/.test(file);
