import { createHash } from 'node:crypto';

import { PgferryError } from '../../errors/pgferry-error.js';
import type { PhysicalFile } from '../archive/manifest.js';

/** The server's backup_manifest (PostgreSQL 13+), as far as we check it. */
export interface ServerManifest {
  files: Map<string, { size: number; sha256: string | undefined; algorithm: string }>;
  walRanges: { timeline: number; startLsn: string; endLsn: string }[];
}

interface RawManifest {
  'PostgreSQL-Backup-Manifest-Version'?: unknown;
  Files?: { Path?: string; 'Encoded-Path'?: string; Size?: number; 'Checksum-Algorithm'?: string; Checksum?: string }[];
  'WAL-Ranges'?: { Timeline?: number; 'Start-LSN'?: string; 'End-LSN'?: string }[];
  'Manifest-Checksum'?: string;
}

const invalid = (why: string) =>
  new PgferryError('PGF_BACKUP_FAILED', `the server's backup_manifest ${why}; the base backup cannot be checked, so it is not kept — run it again`);

/**
 * Parses the manifest and checks its own checksum: SHA-256 of everything up to the line
 * holding "Manifest-Checksum" (how pg_verifybackup reads it).
 */
export function parseServerManifest(bytes: Buffer): ServerManifest {
  const text = bytes.toString('utf8');
  const marker = text.lastIndexOf('\n"Manifest-Checksum"');
  if (marker < 0) throw invalid('has no Manifest-Checksum');
  let raw: RawManifest;
  try {
    raw = JSON.parse(text) as RawManifest;
  } catch {
    throw invalid('is not valid JSON');
  }
  const actual = createHash('sha256').update(bytes.subarray(0, Buffer.byteLength(text.slice(0, marker + 1)))).digest('hex');
  if (raw['Manifest-Checksum'] !== actual) throw invalid('fails its own checksum (it was damaged in transit)');
  const files = new Map<string, { size: number; sha256: string | undefined; algorithm: string }>();
  for (const entry of raw.Files ?? []) {
    const path = entry.Path ?? (entry['Encoded-Path'] ? Buffer.from(entry['Encoded-Path'], 'hex').toString('utf8') : undefined);
    if (path === undefined || typeof entry.Size !== 'number') throw invalid('lists a file without a path or size');
    const algorithm = entry['Checksum-Algorithm'] ?? 'NONE';
    files.set(path, { size: entry.Size, algorithm, sha256: algorithm === 'SHA256' ? entry.Checksum?.toLowerCase() : undefined });
  }
  const walRanges = (raw['WAL-Ranges'] ?? []).map((range) => ({ timeline: Number(range.Timeline), startLsn: String(range['Start-LSN']), endLsn: String(range['End-LSN']) }));
  return { files, walRanges };
}

/**
 * Every file the server listed must have arrived with its size and SHA-256, and every
 * file that arrived must be listed (except the WAL segments under pg_wal/, which a backup manifest never lists).
 * Returns the problems, one line each, naming the file; empty when all match.
 */
export function compareWithServerManifest(received: readonly PhysicalFile[], manifest: ServerManifest): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const file of received) {
    seen.add(file.path);
    const listed = manifest.files.get(file.path);
    // WAL segments included by the backup are not in its manifest (their status files are).
    if (!listed && file.path.startsWith('pg_wal/')) continue;
    if (!listed) problems.push(`${file.path}: received but not in the server's backup_manifest`);
    else if (listed.size !== file.size) problems.push(`${file.path}: ${file.size} bytes received, the server's manifest says ${listed.size}`);
    else if (listed.sha256 !== undefined && listed.sha256 !== file.sha256) problems.push(`${file.path}: sha256 differs from the server's manifest`);
  }
  for (const path of manifest.files.keys()) if (!seen.has(path)) problems.push(`${path}: in the server's backup_manifest but never received`);
  return problems;
}
