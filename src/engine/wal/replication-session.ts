import type { Duplex } from 'node:stream';

import pg from 'pg';
import * as copyStreams from 'pg-copy-streams';

import { PgferryError } from '../../errors/pgferry-error.js';
import { classifyConnectionError } from '../connection-test/classify-connection-error.js';
import { describeTarget } from '../connection-config.js';
import { quoteIdent } from '../sql/quote-ident.js';
import { type Lsn, formatLsn, hex8, parseLsn, parseSegmentSize } from './lsn.js';

/** pg-copy-streams' copy-both mode (missing from its type definitions). */
interface CopyBoth {
  both(text: string, options: { alignOnCopyDataFrame: boolean; readableObjectMode: boolean }): Duplex;
}

export interface SystemIdentity {
  systemId: string;
  timeline: number;
  /** The server's current WAL flush position. */
  position: Lsn;
}

export interface TimelineHistoryEntry {
  /** The parent timeline, which ended at `switchpoint`. */
  timeline: number;
  switchpoint: Lsn;
}

/** Slot names the server accepts (and that stay plain identifiers in replication commands). */
export function assertSlotName(name: string): void {
  if (!/^[a-z0-9_]{1,63}$/.test(name)) {
    throw new PgferryError('PGF_VALIDATION_FAILED', `"${name}" is not a valid replication slot name: use 1–63 lower-case letters, digits and underscores`);
  }
}

/** The slot of one protection: stable across restarts and workers. */
export function walSlotName(protectionId: string): string {
  return `pgferry_wal_${protectionId.toLowerCase().replace(/[^a-z0-9]/g, '')}`.slice(0, 63);
}

function streamFailed(config: pg.ClientConfig, what: string, error: unknown): PgferryError {
  const reason = error instanceof Error ? error.message : String(error);
  return new PgferryError('PGF_WAL_STREAM_FAILED', `${what} on ${describeTarget(config)} failed: ${reason}`, { cause: error });
}

/** A physical replication connection (`replication=true`): replication commands only, no SQL. */
export class ReplicationSession {
  readonly #client: pg.Client;
  readonly #config: pg.ClientConfig;

  private constructor(config: pg.ClientConfig) {
    this.#config = config;
    this.#client = new pg.Client({ ...config, replication: true } as pg.ClientConfig);
  }

  static async open(config: pg.ClientConfig): Promise<ReplicationSession> {
    const session = new ReplicationSession(config);
    // A dropped connection surfaces through the running command; this only keeps it from crashing the process.
    session.#client.on('error', () => undefined);
    try {
      await session.#client.connect();
    } catch (error) {
      throw classifyConnectionError(error, config);
    }
    return session;
  }

  async #command(text: string): Promise<pg.QueryResult> {
    try {
      return await this.#client.query(text);
    } catch (error) {
      throw streamFailed(this.#config, text.split(' ')[0] ?? text, error);
    }
  }

  async identifySystem(): Promise<SystemIdentity> {
    const row = (await this.#command('IDENTIFY_SYSTEM')).rows[0] as { systemid: string; timeline: number | string; xlogpos: string };
    return { systemId: String(row.systemid), timeline: Number(row.timeline), position: parseLsn(row.xlogpos) };
  }

  /** The server's WAL segment size (never assumed to be 16 MB). */
  async segmentSize(): Promise<number> {
    const row = (await this.#command('SHOW wal_segment_size')).rows[0] as Record<string, string>;
    return parseSegmentSize(String(Object.values(row)[0]));
  }

  /** The history file of `timeline` (2 and up): its name and contents. */
  async timelineHistory(timeline: number): Promise<{ file: string; contents: Buffer }> {
    const row = (await this.#command(`TIMELINE_HISTORY ${timeline}`)).rows[0] as { filename: string; content: string | Buffer };
    const contents = Buffer.isBuffer(row.content) ? row.content : Buffer.from(row.content, 'utf8');
    return { file: row.filename || `${hex8(timeline)}.history`, contents };
  }

  /** The copy-both stream of `START_REPLICATION`; each chunk read is one CopyData message. */
  startReplication(slot: string, start: Lsn, timeline: number): Duplex {
    assertSlotName(slot);
    const stream = (copyStreams as unknown as CopyBoth).both(`START_REPLICATION SLOT ${quoteIdent(slot)} PHYSICAL ${formatLsn(start)} TIMELINE ${timeline}`, {
      // One CopyData message per chunk read: in byte mode the stream would merge them.
      alignOnCopyDataFrame: true,
      readableObjectMode: true,
    });
    this.#client.query(stream as unknown as pg.Submittable);
    return stream;
  }

  /** Ends the session; `force` closes the socket without waiting for the server. */
  async close(force = false): Promise<void> {
    if (force) {
      (this.#client as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
      return;
    }
    await this.#client.end().catch(() => undefined);
  }
}

/** Parses a history file: one `parent-timeline <tab> switchpoint <tab> reason` line per ancestor. */
export function parseTimelineHistory(contents: string): TimelineHistoryEntry[] {
  return contents
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const [timeline, switchpoint] = line.split(/\s+/);
      return { timeline: Number(timeline), switchpoint: parseLsn(switchpoint ?? '') };
    });
}

/** The timeline that holds `lsn`, given the current timeline's history. */
export function timelineOfPosition(lsn: Lsn, current: number, history: TimelineHistoryEntry[]): number {
  return history.find((entry) => lsn < entry.switchpoint)?.timeline ?? current;
}
