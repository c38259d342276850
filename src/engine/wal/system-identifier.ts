import { open, readFile } from 'node:fs/promises';
import path from 'node:path';

import { PgferryError } from '../../errors/pgferry-error.js';

// Both files are written in the server's byte order; pgferry's platforms are little-endian.
const longHeaderFlag = 0x0002;
const walPageMagicMin = 0xd100;

/** The system identifier and segment size in a segment's first (long) page header, or undefined when it has none. */
export async function identityOfSegment(file: string): Promise<{ systemId: string; segmentSize: number } | undefined> {
  const handle = await open(file, 'r');
  try {
    const header = Buffer.alloc(40);
    const { bytesRead } = await handle.read(header, 0, 40, 0);
    if (bytesRead < 40 || header.readUInt16LE(0) < walPageMagicMin || (header.readUInt16LE(2) & longHeaderFlag) === 0) return undefined;
    return { systemId: header.readBigUInt64LE(24).toString(), segmentSize: header.readUInt32LE(32) };
  } finally {
    await handle.close();
  }
}

/**
 * The system identifier of the cluster in `dataDir` (from global/pg_control). archive_command
 * and restore_command run inside the data directory, so the default is the current one.
 */
export async function systemIdOfDataDir(dataDir = process.cwd()): Promise<string> {
  const control = path.join(dataDir, 'global', 'pg_control');
  let bytes: Buffer;
  try {
    bytes = await readFile(control);
  } catch (error) {
    throw new PgferryError(
      'PGF_VALIDATION_FAILED',
      `cannot read ${control} to learn the cluster's system identifier (${(error as Error).message}); run from the data directory (PostgreSQL does for archive_command and restore_command) or pass --system-id`,
    );
  }
  return bytes.readBigUInt64LE(0).toString();
}
