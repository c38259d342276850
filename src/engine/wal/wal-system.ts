import { Readable } from 'node:stream';

import { type ArchiveStorage, joinPath, readText } from '../storage/archive-storage.js';
import { systemPrefix } from './wal-layout.js';

const systemFile = (systemId: string) => joinPath(systemPrefix(systemId), 'system.json');

/** The default of every PostgreSQL build; used only when no uploader recorded the size. */
const defaultSegmentSize = 16 * 1024 * 1024;

/** Records the system's WAL segment size once (segment names mean nothing without it). */
export async function recordWalSystem(storage: ArchiveStorage, systemId: string, segmentSize: number): Promise<void> {
  if (await storage.exists(systemFile(systemId))) return;
  await storage.write(systemFile(systemId), Readable.from([Buffer.from(`${JSON.stringify({ systemId, segmentSize }, null, 2)}\n`)]));
}

export async function walSegmentSize(storage: ArchiveStorage, systemId: string): Promise<number> {
  if (!(await storage.exists(systemFile(systemId)))) return defaultSegmentSize;
  return (JSON.parse(await readText(storage, systemFile(systemId))) as { segmentSize: number }).segmentSize;
}
