import { readFile, unlink } from 'node:fs/promises';
import path from 'node:path';

import type pg from 'pg';

import { PgferryError } from '../../errors/pgferry-error.js';
import type { Compression } from '../archive/compression.js';
import { describeTarget } from '../connection-config.js';
import type { ArchiveStorage } from '../storage/archive-storage.js';
import { type Lsn, formatLsn, isSegmentName, parseSegmentName, segmentName, segmentStart } from './lsn.js';
import { parseServerMessage, standbyStatusUpdate } from './replication-messages.js';
import { ReplicationSession, type TimelineHistoryEntry, parseTimelineHistory, timelineOfPosition } from './replication-session.js';
import { SegmentSpool } from './segment-spool.js';
import { listWalFiles, uploadWalFile } from './wal-archive.js';
import { ensureWalSlot } from './wal-slot.js';
import { recordWalSystem } from './wal-system.js';

export interface WalStreamProgress {
  systemId: string;
  timeline: number;
  /** End of the WAL received from the server. */
  receivedLsn: string;
  /** End of the WAL written to the local spool. */
  flushedLsn: string;
  /** End of the last segment durably in storage: what the slot may free. */
  uploadedLsn: string;
  /** The server's WAL end, from its last message. */
  serverLsn: string;
  /** WAL on the server not yet in storage. */
  lagBytes: number;
  /** Age, on the server's clock, of the oldest WAL not yet in storage (0 when none). */
  lagSeconds: number;
  segmentsUploaded: number;
}

export type WalStreamEvent =
  | { type: 'stream:start'; systemId: string; timeline: number; start: string; slot: string; slotCreated: boolean }
  | { type: 'segment:uploaded' | 'segment:already-stored'; file: string }
  | { type: 'timeline:end'; timeline: number; at: string }
  /** WAL from `first` through `last` is neither stored nor on the server any more: restores cannot cross it. */
  | { type: 'wal:gap'; systemId: string; first: string; last: string };

export interface WalStreamOptions {
  source: pg.ClientConfig;
  storage: ArchiveStorage;
  /** Physical replication slot (see walSlotName). */
  slot: string;
  /** Local directory where segments are assembled; a subdirectory per system. */
  spoolDir: string;
  /** (default: gzip) */
  compression?: Compression | undefined;
  encryptionSecret?: string | undefined;
  /** Aborting stops cleanly: uploads finish, a last status update goes out, the partial segment stays local. */
  signal: AbortSignal;
  onProgress?: ((progress: WalStreamProgress) => void) | undefined;
  onEvent?: ((event: WalStreamEvent) => void) | undefined;
  /** How often a status update goes to the server (default: 10 s). */
  statusIntervalMs?: number | undefined;
}

export interface WalStreamResult {
  systemId: string;
  /** Stretches of WAL lost before this run could stream them (see the `wal:gap` event). */
  gaps: { first: string; last: string }[];
  segmentsUploaded: number;
  uploadedLsn: string;
}

interface StreamState {
  systemId: string;
  segmentsUploaded: number;
  uploaded: bigint;
  gaps: { systemId: string; first: string; last: string }[];
}

/** Uploads waiting before the stream is read further: bounds the local spool. */
const maxQueuedUploads = 4;

/**
 * Streams a server's WAL into storage until `signal` aborts: one segment at a time, each
 * uploaded once it is complete. The slot's flush position only ever names WAL already in
 * storage, so a crash at any moment loses nothing: the next start resumes after the last
 * stored segment.
 */
export async function streamWal(options: WalStreamOptions): Promise<WalStreamResult> {
  const state: StreamState = { systemId: '', segmentsUploaded: 0, uploaded: 0n, gaps: [] };
  let afterTimeline: number | undefined;
  while (!options.signal.aborted) {
    const session = await ReplicationSession.open(options.source);
    try {
      const outcome = await streamOnce(session, options, state, afterTimeline);
      if (outcome.endedTimeline === undefined) break;
      afterTimeline = outcome.endedTimeline;
      options.onEvent?.({ type: 'timeline:end', timeline: outcome.endedTimeline, at: formatLsn(outcome.receivedLsn) });
    } finally {
      await session.close(true);
    }
  }
  return { systemId: state.systemId, gaps: state.gaps.map(({ first, last }) => ({ first, last })), segmentsUploaded: state.segmentsUploaded, uploadedLsn: formatLsn(state.uploaded) };
}

async function streamOnce(
  session: ReplicationSession,
  options: WalStreamOptions,
  state: StreamState,
  afterTimeline: number | undefined,
): Promise<{ endedTimeline: number | undefined; receivedLsn: Lsn }> {
  const identity = await session.identifySystem();
  const segmentSize = await session.segmentSize();
  const { systemId } = identity;
  state.systemId = systemId;
  const store = { compression: options.compression ?? 'gzip', encryptionSecret: options.encryptionSecret };
  const spoolDir = path.join(options.spoolDir, systemId);
  await recordWalSystem(options.storage, systemId, segmentSize);

  let history: TimelineHistoryEntry[] = [];
  if (identity.timeline > 1) {
    // Recovery into a later timeline reads every ancestor's history file.
    for (let timeline = 2; timeline <= identity.timeline; timeline += 1) {
      const file = await session.timelineHistory(timeline);
      await uploadWalFile(options.storage, systemId, file.file, file.contents, store);
      if (timeline === identity.timeline) history = parseTimelineHistory(file.contents.toString('utf8'));
    }
  }

  const upload = async (name: string) => {
    const outcome = await uploadWalFile(options.storage, systemId, name, await readFile(path.join(spoolDir, name)), store);
    await unlink(path.join(spoolDir, name));
    const { segment } = parseSegmentName(name, segmentSize);
    const end = (segment + 1n) * BigInt(segmentSize);
    if (end > state.uploaded) state.uploaded = end;
    state.segmentsUploaded += 1;
    options.onEvent?.({ type: outcome === 'uploaded' ? 'segment:uploaded' : 'segment:already-stored', file: name });
  };
  // Segments completed by an earlier run that stopped before uploading them.
  for (const name of SegmentSpool.completeSegments(spoolDir)) await upload(name);

  const slot = await ensureWalSlot(options.source, options.slot);
  // A stored segment counts when it is on the timeline that, in this server's history, holds its
  // last byte: after a promotion the old timeline's copies past the switch point are another history.
  const size = BigInt(segmentSize);
  const lastStored = (await listWalFiles(options.storage, systemId))
    .filter((file) => isSegmentName(file.file))
    .map((file) => ({ timeline: file.timeline, segment: parseSegmentName(file.file, segmentSize).segment }))
    .filter((file) => timelineOfPosition((file.segment + 1n) * size - 1n, identity.timeline, history) === file.timeline)
    .reduce<bigint | undefined>((max, file) => (max === undefined || file.segment > max ? file.segment : max), undefined);
  const kept = segmentStart(slot.restartLsn ?? identity.position, segmentSize);
  let start = lastStored !== undefined ? (lastStored + 1n) * size : kept;
  if (start < kept) {
    // The server no longer has the WAL after the last stored segment (the slot was dropped or
    // lost): that stretch is gone. Say so loudly and go on protecting from what the server has.
    const gap = { systemId, first: segmentName(identity.timeline, start / size, segmentSize), last: segmentName(identity.timeline, kept / size - 1n, segmentSize) };
    state.gaps.push(gap);
    options.onEvent?.({ type: 'wal:gap', ...gap });
    start = kept;
  }
  if (state.uploaded < start) state.uploaded = start;
  let timeline = timelineOfPosition(start, identity.timeline, history);
  if (afterTimeline !== undefined && timeline <= afterTimeline) {
    // The stream of `afterTimeline` ended at its switch point: go on with the timeline after it.
    timeline = history.find((entry) => entry.timeline > afterTimeline)?.timeline ?? identity.timeline;
  }
  const spool = new SegmentSpool(spoolDir, timeline, segmentSize);
  options.onEvent?.({ type: 'stream:start', systemId, timeline, start: formatLsn(start), slot: options.slot, slotCreated: slot.created });

  const stream = session.startReplication(options.slot, start, timeline);
  let received = start;
  let serverLsn = identity.position;
  let serverTime: Date | undefined;
  // When (server clock) the server's WAL end first passed each position: the age of the oldest
  // WAL not in storage is measured from these, not from when it was sent (a busy streamer reads late).
  const walEnds: { end: bigint; at: Date }[] = [];
  let uploads: Promise<void> = Promise.resolve();
  let queued = 0;
  let uploadError: unknown;

  const sendStatus = () => {
    if (stream.writable && !stream.writableEnded) stream.write(standbyStatusUpdate(received, state.uploaded));
  };
  const report = () => {
    while (walEnds.length > 1 && (walEnds[1] as { end: bigint }).end <= state.uploaded) walEnds.shift();
    const oldest = walEnds.find((sample) => sample.end > state.uploaded)?.at;
    const top = serverLsn > received ? serverLsn : received;
    options.onProgress?.({
      systemId,
      timeline,
      receivedLsn: formatLsn(received),
      flushedLsn: formatLsn(received),
      uploadedLsn: formatLsn(state.uploaded),
      serverLsn: formatLsn(serverLsn),
      lagBytes: Number(top > state.uploaded ? top - state.uploaded : 0n),
      lagSeconds: oldest && serverTime ? Math.max(0, (serverTime.getTime() - oldest.getTime()) / 1000) : 0,
      segmentsUploaded: state.segmentsUploaded,
    });
  };
  const enqueue = (name: string) => {
    queued += 1;
    uploads = uploads
      .then(() => upload(name))
      .then(() => {
        sendStatus();
        report();
      })
      .catch((error: unknown) => {
        uploadError ??= error;
        stream.destroy(error as Error);
      })
      .finally(() => (queued -= 1));
  };

  let stopping = false;
  let copying = false;
  const finish = () =>
    void uploads.then(() => {
      sendStatus();
      if (!stream.writableEnded) stream.end();
      // A server that does not answer CopyDone is not waited for.
      setTimeout(() => stream.destroy(), 10_000).unref();
    });
  const stop = () => {
    stopping = true;
    // CopyDone before the server entered copy mode would break the protocol: wait for its first message.
    if (copying) finish();
    else setTimeout(() => stream.destroy(), 10_000).unref();
  };
  options.signal.addEventListener('abort', stop, { once: true });
  if (options.signal.aborted) stop();
  const timer = setInterval(sendStatus, options.statusIntervalMs ?? 10_000);
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      const message = parseServerMessage(chunk);
      if (!copying) {
        copying = true;
        // WAL the server had before the stream started is at least as old as its first message.
        if (identity.position > start) walEnds.push({ end: identity.position, at: message.sentAt });
        if (stopping) finish();
      }
      serverTime = message.sentAt;
      if (message.walEnd > serverLsn) {
        serverLsn = message.walEnd;
        walEnds.push({ end: message.walEnd, at: message.sentAt });
      }
      if (message.kind === 'keepalive') {
        if (message.replyRequested) sendStatus();
      } else if (message.bytes.length > 0) {
        if (message.start !== received) {
          throw new PgferryError('PGF_WAL_STREAM_FAILED', `the WAL stream from ${describeTarget(options.source)} jumped from ${formatLsn(received)} to ${formatLsn(message.start)}; restart the stream`);
        }
        for (const name of spool.write(message.start, message.bytes)) enqueue(name);
        received = message.start + BigInt(message.bytes.length);
      }
      report();
      if (queued > maxQueuedUploads) await uploads;
    }
  } catch (error) {
    if (uploadError) throw uploadError as Error;
    if (!stopping) throw new PgferryError('PGF_WAL_STREAM_FAILED', `the WAL stream from ${describeTarget(options.source)} failed at ${formatLsn(received)}: ${(error as Error).message}`, { cause: error });
  } finally {
    clearInterval(timer);
    options.signal.removeEventListener('abort', stop);
    spool.close();
    await uploads;
  }
  if (uploadError) throw uploadError as Error;
  report();
  // The server ended the stream itself: the timeline we read became history (a promotion).
  return { endedTimeline: stopping ? undefined : timeline, receivedLsn: received };
}
