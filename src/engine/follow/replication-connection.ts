import type { Duplex, DuplexOptions } from 'node:stream';

import pg from 'pg';
import copyStreams from 'pg-copy-streams';

import { classifyConnectionError } from '../connection-test/classify-connection-error.js';
import { quoteIdent, quoteLiteral } from '../sql/quote-ident.js';
import { dateToPgTimestamp, formatLsn, parseLsn } from './lsn.js';

/** One frame of the copy-both stream: WAL data (a pgoutput message) or a keepalive. */
export type ReplicationFrame = { kind: 'data'; walStart: bigint; payload: Buffer } | { kind: 'keepalive'; walEnd: bigint; replyRequested: boolean };

/** pg-copy-streams' copy-both query (its type declarations know only `from` and `to`). */
type CopyBothStream = Duplex & pg.Submittable;
const both = (copyStreams as unknown as { both: (text: string, options?: DuplexOptions & { alignOnCopyDataFrame?: boolean }) => CopyBothStream }).both;

/** Frames buffered before the socket is paused (backpressure while a batch is applied). */
const highWater = 2000;

/**
 * A `replication=database` session on the source (walsender protocol): creates and drops
 * logical slots and streams one with pgoutput. A slot created with an exported snapshot keeps
 * that snapshot importable only while this session stays idle, so nothing else may run on it
 * until the copy's readers have imported the snapshot.
 */
export class ReplicationConnection {
  readonly #client: pg.Client;
  #stream: CopyBothStream | undefined;
  readonly #frames: ReplicationFrame[] = [];
  #waiter: (() => void) | undefined;
  #ended = false;
  #failure: Error | undefined;

  private constructor(client: pg.Client) {
    this.#client = client;
  }

  static async open(config: pg.ClientConfig): Promise<ReplicationConnection> {
    const client = new pg.Client({ ...config, replication: 'database', application_name: 'pgferry follow' } as pg.ClientConfig);
    client.on('error', () => undefined);
    try {
      await client.connect();
    } catch (error) {
      throw classifyConnectionError(error, config);
    }
    return new ReplicationConnection(client);
  }

  /** Creates a logical pgoutput slot; its snapshot is exported (importable while this session is idle). */
  async createSlot(slot: string, sourceMajor: number): Promise<{ consistentPoint: bigint; snapshot: string }> {
    // PostgreSQL 15 introduced the parenthesised option list; 13 and 14 know only the old keywords.
    const options = sourceMajor >= 15 ? `(SNAPSHOT ${quoteLiteral('export')})` : 'EXPORT_SNAPSHOT';
    const result = await this.#client.query<{ consistent_point: string; snapshot_name: string }>(`CREATE_REPLICATION_SLOT ${quoteIdent(slot)} LOGICAL pgoutput ${options}`);
    const row = result.rows[0]!;
    return { consistentPoint: parseLsn(row.consistent_point), snapshot: row.snapshot_name };
  }

  async dropSlot(slot: string): Promise<void> {
    await this.#client.query(`DROP_REPLICATION_SLOT ${quoteIdent(slot)}`);
  }

  /** Starts streaming `slot` from `from` (protocol version 1, one publication) in copy-both mode. */
  start(slot: string, publication: string, from: bigint): void {
    const text = `START_REPLICATION SLOT ${quoteIdent(slot)} LOGICAL ${formatLsn(from)} (proto_version ${quoteLiteral('1')}, publication_names ${quoteLiteral(quoteIdent(publication))})`;
    const stream = both(text, { alignOnCopyDataFrame: true });
    this.#stream = stream;
    stream.on('data', (chunk: Buffer) => {
      const frame = parseFrame(chunk);
      if (frame === undefined) return;
      this.#frames.push(frame);
      if (this.#frames.length >= highWater) stream.pause();
      this.#wake();
    });
    stream.on('end', () => {
      this.#ended = true;
      this.#wake();
    });
    stream.on('error', (error: Error) => {
      this.#failure = error;
      this.#wake();
    });
    this.#client.query(stream);
  }

  /** Frames received and not yet read (changes the source sent that the applier has not seen). */
  get buffered(): number {
    return this.#frames.length;
  }

  /** The next frame already received, without waiting (undefined when none is buffered). */
  poll(): ReplicationFrame | undefined {
    const frame = this.#frames.shift();
    if (frame !== undefined && this.#frames.length < highWater / 4) this.#stream?.resume();
    return frame;
  }

  /** The next frame, or null after `timeoutMs` without one (the caller's batch timer). Throws the stream's error. */
  async next(timeoutMs: number): Promise<ReplicationFrame | null> {
    if (this.#frames.length === 0 && this.#failure === undefined && !this.#ended) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(0, timeoutMs));
        this.#waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#waiter = undefined;
    }
    const frame = this.#frames.shift();
    if (frame !== undefined) {
      if (this.#frames.length < highWater / 4) this.#stream?.resume();
      return frame;
    }
    if (this.#failure !== undefined) throw this.#failure;
    if (this.#ended) throw new Error('the source ended the replication stream');
    return null;
  }

  /** Standby status update: everything up to `flushed` is durably applied (the slot may release the WAL before it). */
  async sendStatus(flushed: bigint, replyRequested = false): Promise<void> {
    const stream = this.#stream;
    if (stream === undefined || this.#ended || this.#failure !== undefined) return;
    const message = Buffer.alloc(34);
    message.write('r', 0, 'latin1');
    message.writeBigUInt64BE(flushed, 1);
    message.writeBigUInt64BE(flushed, 9);
    message.writeBigUInt64BE(flushed, 17);
    message.writeBigInt64BE(dateToPgTimestamp(new Date()), 25);
    message.writeUInt8(replyRequested ? 1 : 0, 33);
    await new Promise<void>((resolve) => stream.write(message, () => resolve()));
  }

  async close(): Promise<void> {
    this.#stream?.pause();
    await this.#client.end().catch(() => undefined);
  }

  #wake(): void {
    this.#waiter?.();
  }
}

function parseFrame(chunk: Buffer): ReplicationFrame | undefined {
  const tag = String.fromCharCode(chunk[0]!);
  if (tag === 'w') return { kind: 'data', walStart: chunk.readBigUInt64BE(1), payload: chunk.subarray(25) };
  if (tag === 'k') return { kind: 'keepalive', walEnd: chunk.readBigUInt64BE(1), replyRequested: chunk.readUInt8(17) === 1 };
  return undefined;
}
