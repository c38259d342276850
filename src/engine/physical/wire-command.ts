import type { Duplex } from 'node:stream';

import type pg from 'pg';

/*
 * One simple-protocol command whose answer we read off the socket ourselves. node-postgres
 * connects (TLS, trust/md5/SCRAM) but hands CopyData to its query objects through 'data'
 * events, without backpressure, and knows no CopyOutResponse or CopyDone: a BASE_BACKUP of
 * PostgreSQL 13/14 (one CopyOut per tablespace between result sets) or 15+ (one CopyOut of
 * typed sub-messages) must be read message by message, pausing the socket while storage
 * catches up. Like pg-copy-streams, we detach pg's parser while the command runs and give
 * it back the ReadyForQuery that ends it, so the client stays usable.
 */

export interface WireMessage {
  /** The message type byte as a character ('T', 'D', 'H', 'd', 'c', 'C', 'E', 'N', 'Z', …). */
  code: string;
  /** The whole body (joined on first use when it arrived in more than one socket read). */
  readonly body: Buffer;
  /** The body as received, in one or more pieces that share the socket's buffers (not copied). */
  readonly parts: readonly Buffer[];
}

/** A message whose body is joined only if someone asks for it whole. */
class ReceivedMessage implements WireMessage {
  readonly code: string;
  readonly parts: readonly Buffer[];
  #body: Buffer | undefined;

  constructor(code: string, parts: Buffer[]) {
    this.code = code;
    this.parts = parts;
  }

  get body(): Buffer {
    this.#body ??= this.parts.length === 1 ? (this.parts[0] as Buffer) : Buffer.concat(this.parts as Buffer[]);
    return this.#body;
  }
}

interface PgConnection {
  stream: Duplex;
  query(text: string): void;
}

/**
 * Reads whole protocol messages from a paused socket, one at a time (backpressure by pull).
 * A message that spans socket reads is handed over as pieces rather than copied: a
 * BASE_BACKUP's CopyData messages (32 KiB) straddle nearly every other 64 KiB read, and
 * joining them cost a copy of the whole backup and the garbage collections it caused.
 */
export class MessageReader {
  readonly #stream: Duplex;
  /** Received buffers; the first is consumed from #offset on. */
  #chunks: Buffer[] = [];
  #offset = 0;
  #length = 0;
  #failure: Error | undefined;
  #wake: (() => void) | undefined;
  readonly #onReadable = () => this.#notify();
  readonly #onEnd = () => this.#fail(new Error('the server closed the replication connection'));
  readonly #onError = (error: Error) => this.#fail(error);

  constructor(stream: Duplex) {
    this.#stream = stream;
    stream.on('readable', this.#onReadable);
    stream.on('end', this.#onEnd);
    stream.on('close', this.#onEnd);
    stream.on('error', this.#onError);
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  #fail(error: Error): void {
    this.#failure ??= error;
    this.#notify();
  }

  async #need(bytes: number): Promise<void> {
    while (this.#length < bytes) {
      // Bytes already received count even when the socket has ended since.
      const chunk = this.#stream.read() as Buffer | null;
      if (chunk !== null) {
        this.#chunks.push(chunk);
        this.#length += chunk.length;
        continue;
      }
      if (this.#failure) throw this.#failure;
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
  }

  /** The next `bytes` bytes as pieces of the received buffers (at least one piece, maybe empty). */
  #take(bytes: number): Buffer[] {
    const parts: Buffer[] = [];
    let left = bytes;
    while (left > 0) {
      const first = this.#chunks[0] as Buffer;
      const available = first.length - this.#offset;
      const take = Math.min(available, left);
      parts.push(first.subarray(this.#offset, this.#offset + take));
      left -= take;
      if (take === available) {
        this.#chunks.shift();
        this.#offset = 0;
      } else this.#offset += take;
    }
    this.#length -= bytes;
    return parts.length > 0 ? parts : [Buffer.alloc(0)];
  }

  /** Byte `at` of the unconsumed input (which holds at least at + 1 bytes). */
  #byte(at: number): number {
    let offset = this.#offset + at;
    for (const chunk of this.#chunks) {
      if (offset < chunk.length) return chunk[offset] as number;
      offset -= chunk.length;
    }
    throw new Error('protocol reader read past its input');
  }

  async next(): Promise<WireMessage> {
    await this.#need(5);
    const code = String.fromCharCode(this.#byte(0));
    const length = (((this.#byte(1) << 24) | (this.#byte(2) << 16) | (this.#byte(3) << 8) | this.#byte(4)) >>> 0) - 4;
    this.#take(5);
    await this.#need(length);
    return new ReceivedMessage(code, this.#take(length));
  }

  /** Everything read but not consumed, and stops listening. */
  release(): Buffer {
    this.#stream.removeListener('readable', this.#onReadable);
    this.#stream.removeListener('end', this.#onEnd);
    this.#stream.removeListener('close', this.#onEnd);
    this.#stream.removeListener('error', this.#onError);
    const first = this.#chunks[0];
    if (first) this.#chunks[0] = first.subarray(this.#offset);
    const rest = Buffer.concat(this.#chunks);
    this.#chunks = [];
    this.#offset = 0;
    this.#length = 0;
    return rest;
  }
}

/**
 * Sends `text` on `client` and yields every message of the answer up to (not including) its
 * ReadyForQuery; then pg takes the connection back. Stop iterating early only to abandon
 * the connection (end or destroy it).
 */
export async function* wireCommand(client: pg.Client, text: string): AsyncGenerator<WireMessage> {
  let connection: PgConnection | undefined;
  let submitted: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (submitted = resolve));
  let done: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (done = resolve));
  let failed: Error | undefined;
  const submittable = {
    submit(conn: PgConnection) {
      connection = conn;
      submitted();
    },
    handleReadyForQuery() {
      done();
    },
    handleError(error: Error) {
      failed ??= error;
      submitted();
      done();
    },
  };
  client.query(submittable as unknown as pg.Submittable);
  await ready;
  if (!connection) throw failed ?? new Error('the replication command was not sent');
  const stream = connection.stream;
  const listeners = stream.listeners('data') as ((chunk: Buffer) => void)[];
  const pgHandler = listeners[0];
  if (listeners.length !== 1 || !pgHandler) throw new Error('unexpected socket listeners on the replication connection');
  stream.removeListener('data', pgHandler);
  stream.pause();
  const reader = new MessageReader(stream);
  connection.query(text);
  let last: WireMessage | undefined;
  try {
    for (;;) {
      const message = await reader.next();
      if (message.code === 'Z') {
        last = message;
        return;
      }
      yield message;
    }
  } finally {
    const rest = reader.release();
    if (last) {
      // Hand pg the ReadyForQuery (and anything after it) so its query queue moves on.
      const frame = Buffer.alloc(5);
      frame.write('Z', 0, 'latin1');
      frame.writeUInt32BE(last.body.length + 4, 1);
      stream.on('data', pgHandler);
      pgHandler(Buffer.concat([frame, last.body, rest]));
      process.nextTick(() => stream.resume());
      await finished;
    }
  }
}

/** Column names of a RowDescription. */
export function rowDescription(body: Buffer): string[] {
  const count = body.readUInt16BE(0);
  const names: string[] = [];
  let offset = 2;
  for (let i = 0; i < count; i += 1) {
    const end = body.indexOf(0, offset);
    names.push(body.toString('utf8', offset, end));
    offset = end + 1 + 18;
  }
  return names;
}

/** Text values of a DataRow (null for SQL NULL). */
export function dataRow(body: Buffer): (string | null)[] {
  const count = body.readUInt16BE(0);
  const values: (string | null)[] = [];
  let offset = 2;
  for (let i = 0; i < count; i += 1) {
    const length = body.readInt32BE(offset);
    offset += 4;
    if (length < 0) values.push(null);
    else {
      values.push(body.toString('utf8', offset, offset + length));
      offset += length;
    }
  }
  return values;
}

/** Fields of an ErrorResponse or NoticeResponse, by their one-letter type (S, C, M, D, H…). */
export function errorFields(body: Buffer): Record<string, string> {
  const fields: Record<string, string> = {};
  let offset = 0;
  while (offset < body.length && body[offset] !== 0) {
    const type = String.fromCharCode(body[offset] as number);
    const end = body.indexOf(0, offset + 1);
    fields[type] = body.toString('utf8', offset + 1, end);
    offset = end + 1;
  }
  return fields;
}

/** NUL-terminated strings from `offset` on (the 'n' new-archive message of PostgreSQL 15+). */
export function cStrings(body: Buffer, offset: number, count: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < count; i += 1) {
    const end = body.indexOf(0, offset);
    out.push(body.toString('utf8', offset, end < 0 ? body.length : end));
    offset = end < 0 ? body.length : end + 1;
  }
  return out;
}
