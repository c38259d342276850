import { PgferryError } from '../../errors/pgferry-error.js';

/**
 * WAL positions and segment names. An LSN is a 64-bit byte position in the WAL stream,
 * written `X/Y` (high/low 32 bits in hex); a segment file is named
 * `TTTTTTTTXXXXXXXXYYYYYYYY` (timeline, then segment number split as the server does:
 * "log id" = number / segments-per-4GB, "seg" = number % segments-per-4GB).
 */
export type Lsn = bigint;

const fourGb = 0x1_0000_0000n;

export function parseLsn(text: string): Lsn {
  const match = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(text.trim());
  if (!match) throw new PgferryError('PGF_VALIDATION_FAILED', `"${text}" is not a WAL position; write it as PostgreSQL does, e.g. 0/3000060`);
  return (BigInt(`0x${match[1]}`) << 32n) | BigInt(`0x${match[2]}`);
}

export function formatLsn(lsn: Lsn): string {
  return `${(lsn >> 32n).toString(16).toUpperCase()}/${(lsn & 0xffff_ffffn).toString(16).toUpperCase()}`;
}

export const hex8 = (value: number | bigint) => value.toString(16).toUpperCase().padStart(8, '0');

export function segmentNumber(lsn: Lsn, segmentSize: number): bigint {
  return lsn / BigInt(segmentSize);
}

export function segmentStart(lsn: Lsn, segmentSize: number): Lsn {
  return segmentNumber(lsn, segmentSize) * BigInt(segmentSize);
}

export function segmentName(timeline: number, segment: bigint, segmentSize: number): string {
  const perId = fourGb / BigInt(segmentSize);
  return `${hex8(timeline)}${hex8(segment / perId)}${hex8(segment % perId)}`;
}

export const isSegmentName = (name: string) => /^[0-9A-F]{24}$/.test(name);

export interface ParsedSegmentName {
  timeline: number;
  segment: bigint;
}

export function parseSegmentName(name: string, segmentSize: number): ParsedSegmentName {
  if (!isSegmentName(name)) throw new PgferryError('PGF_VALIDATION_FAILED', `"${name}" is not a WAL segment file name (24 upper-case hex digits)`);
  const perId = fourGb / BigInt(segmentSize);
  return { timeline: Number.parseInt(name.slice(0, 8), 16), segment: BigInt(`0x${name.slice(8, 16)}`) * perId + BigInt(`0x${name.slice(16)}`) };
}

/** `16MB`, `1GB`, `16777216` (SHOW wal_segment_size) as bytes; a power of two from 1 MB to 1 GB. */
export function parseSegmentSize(text: string): number {
  const match = /^(\d+)\s*(B|kB|MB|GB)?$/.exec(text.trim());
  const units: Record<string, number> = { B: 1, kB: 1024, MB: 1024 ** 2, GB: 1024 ** 3 };
  const bytes = match ? Number(match[1]) * (units[match[2] ?? 'B'] ?? 1) : Number.NaN;
  if (!Number.isInteger(bytes) || bytes < 1024 ** 2 || bytes > 1024 ** 3 || (bytes & (bytes - 1)) !== 0) {
    throw new PgferryError('PGF_VALIDATION_FAILED', `the server reports wal_segment_size "${text}", which is not a power of two between 1 MB and 1 GB`);
  }
  return bytes;
}
