import type { ArchiveStorage } from '../storage/archive-storage.js';
import { type Lsn, formatLsn, isSegmentName, parseLsn, parseSegmentName, segmentName, segmentNumber } from './lsn.js';
import { listWalFiles } from './wal-archive.js';
import { walSegmentSize } from './wal-system.js';

export interface WalChain {
  systemId: string;
  /** Where the chain was checked from. */
  from: string;
  /** End of the last segment of the unbroken run from `from` (= `from`'s segment start when even the first is missing). */
  end: string;
  /** Segments in the unbroken run. */
  segments: number;
  /**
   * The first segment missing while later ones exist: a hole that recovery cannot cross.
   * Undefined when the run simply ends with the newest stored segment.
   */
  firstMissing: string | undefined;
  /** The segment after the run: the next one to be archived, or the hole. */
  next: string;
  /** The first stored segment after the hole, when there is one. */
  resumesAt: string | undefined;
}

/**
 * Walks the stored segments from `fromLsn` (on `timeline` or any later one, as recovery
 * following the latest timeline would) and names the first missing segment. `verify` of a
 * physical backup calls it with the backup's start position.
 */
export async function verifyWalChain(storage: ArchiveStorage, systemId: string, fromLsn: string | Lsn, timeline = 1): Promise<WalChain> {
  const segmentSize = await walSegmentSize(storage, systemId);
  const from = typeof fromLsn === 'string' ? parseLsn(fromLsn) : fromLsn;
  // Segment number → the highest timeline that holds it.
  const stored = new Map<bigint, number>();
  for (const file of await listWalFiles(storage, systemId)) {
    if (!isSegmentName(file.file) || file.timeline < timeline) continue;
    const { segment } = parseSegmentName(file.file, segmentSize);
    stored.set(segment, Math.max(stored.get(segment) ?? 0, file.timeline));
  }
  let segment = segmentNumber(from, segmentSize);
  let segments = 0;
  let lastTimeline = timeline;
  while (stored.has(segment)) {
    lastTimeline = stored.get(segment) as number;
    segment += 1n;
    segments += 1;
  }
  const later = [...stored.keys()].filter((number) => number > segment).sort((a, b) => (a < b ? -1 : 1))[0];
  return {
    systemId,
    from: formatLsn(from),
    end: formatLsn(segment * BigInt(segmentSize)),
    segments,
    next: segmentName(lastTimeline, segment, segmentSize),
    firstMissing: later === undefined ? undefined : segmentName(lastTimeline, segment, segmentSize),
    resumesAt: later === undefined ? undefined : segmentName(stored.get(later) as number, later, segmentSize),
  };
}
