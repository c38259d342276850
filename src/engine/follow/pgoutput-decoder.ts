import { pgTimestampToDate } from './lsn.js';

/**
 * Decoder of the pgoutput logical-replication protocol (the messages inside XLogData), as
 * documented in "Logical Replication Message Formats". Pure: a Buffer in, an object out.
 * Protocol version 1 layouts (what the follower asks for); the streamed-transaction messages
 * of versions 2+ are not requested and are refused loudly if they ever arrive.
 */

export interface RelationColumn {
  /** Part of the replica identity (pgoutput's flag 1). */
  key: boolean;
  name: string;
  typeOid: number;
  typeMod: number;
}

/** One column of a tuple: text, null, or an unchanged TOASTed value the message does not carry. */
export type TupleValue = { kind: 'text'; value: string } | { kind: 'null' } | { kind: 'unchanged' };

export type PgoutputMessage =
  | { tag: 'begin'; finalLsn: bigint; commitTime: Date; xid: number }
  | { tag: 'commit'; flags: number; commitLsn: bigint; endLsn: bigint; commitTime: Date }
  | { tag: 'origin'; originLsn: bigint; name: string }
  | { tag: 'relation'; relationOid: number; schema: string; name: string; replicaIdentity: 'd' | 'n' | 'f' | 'i'; columns: RelationColumn[] }
  | { tag: 'type'; typeOid: number; schema: string; name: string }
  | { tag: 'insert'; relationOid: number; newTuple: TupleValue[] }
  /** `oldKind` K: only the key columns of the old row; O: the whole old row (replica identity FULL). */
  | { tag: 'update'; relationOid: number; oldKind: 'K' | 'O' | null; oldTuple: TupleValue[] | null; newTuple: TupleValue[] }
  | { tag: 'delete'; relationOid: number; oldKind: 'K' | 'O'; oldTuple: TupleValue[] }
  | { tag: 'truncate'; cascade: boolean; restartIdentity: boolean; relationOids: number[] }
  | { tag: 'message'; transactional: boolean; lsn: bigint; prefix: string; content: Buffer };

/** Shared: values without content are never mutated, so one object serves every tuple. */
const nullValue: TupleValue = Object.freeze({ kind: 'null' });
const unchangedValue: TupleValue = Object.freeze({ kind: 'unchanged' });

class Reader {
  #offset = 0;
  constructor(readonly buffer: Buffer) {}

  byte(): number {
    return this.buffer.readUInt8(this.#offset++);
  }
  char(): string {
    return String.fromCharCode(this.byte());
  }
  int16(): number {
    const value = this.buffer.readInt16BE(this.#offset);
    this.#offset += 2;
    return value;
  }
  int32(): number {
    const value = this.buffer.readInt32BE(this.#offset);
    this.#offset += 4;
    return value;
  }
  uint32(): number {
    const value = this.buffer.readUInt32BE(this.#offset);
    this.#offset += 4;
    return value;
  }
  int64(): bigint {
    const value = this.buffer.readBigInt64BE(this.#offset);
    this.#offset += 8;
    return value;
  }
  /** A NUL-terminated string. */
  string(): string {
    const end = this.buffer.indexOf(0, this.#offset);
    if (end < 0) throw new Error('pgoutput: unterminated string');
    const value = this.buffer.toString('utf8', this.#offset, end);
    this.#offset = end + 1;
    return value;
  }
  bytes(length: number): Buffer {
    if (this.#offset + length > this.buffer.length) throw new Error('pgoutput: message shorter than its length field');
    const value = this.buffer.subarray(this.#offset, this.#offset + length);
    this.#offset += length;
    return value;
  }
  tuple(): TupleValue[] {
    const count = this.int16();
    const values: TupleValue[] = new Array<TupleValue>(count);
    for (let i = 0; i < count; i++) {
      const kind = this.byte();
      if (kind === 0x6e /* n */) values[i] = nullValue;
      else if (kind === 0x75 /* u */) values[i] = unchangedValue;
      else if (kind === 0x74 /* t */) values[i] = { kind: 'text', value: this.text(this.int32()) };
      else throw new Error(`pgoutput: column value kind "${String.fromCharCode(kind)}" is not supported (binary values are not requested)`);
    }
    return values;
  }
  /** `length` bytes as UTF-8 text, decoded in place (no intermediate Buffer: this runs for every value streamed). */
  text(length: number): string {
    if (this.#offset + length > this.buffer.length) throw new Error('pgoutput: message shorter than its length field');
    const value = this.buffer.toString('utf8', this.#offset, this.#offset + length);
    this.#offset += length;
    return value;
  }
}

export function decodePgoutput(buffer: Buffer): PgoutputMessage {
  const r = new Reader(buffer);
  const tag = r.char();
  switch (tag) {
    case 'B': {
      const finalLsn = r.int64();
      const commitTime = pgTimestampToDate(r.int64());
      return { tag: 'begin', finalLsn, commitTime, xid: r.uint32() };
    }
    case 'C': {
      const flags = r.byte();
      const commitLsn = r.int64();
      const endLsn = r.int64();
      return { tag: 'commit', flags, commitLsn, endLsn, commitTime: pgTimestampToDate(r.int64()) };
    }
    case 'O': {
      const originLsn = r.int64();
      return { tag: 'origin', originLsn, name: r.string() };
    }
    case 'R': {
      const relationOid = r.uint32();
      const schema = r.string();
      const name = r.string();
      const replicaIdentity = r.char() as 'd' | 'n' | 'f' | 'i';
      const count = r.int16();
      const columns: RelationColumn[] = [];
      for (let i = 0; i < count; i++) {
        const flags = r.byte();
        columns.push({ key: (flags & 1) === 1, name: r.string(), typeOid: r.uint32(), typeMod: r.int32() });
      }
      return { tag: 'relation', relationOid, schema, name, replicaIdentity, columns };
    }
    case 'Y': {
      const typeOid = r.uint32();
      const schema = r.string();
      return { tag: 'type', typeOid, schema, name: r.string() };
    }
    case 'I': {
      const relationOid = r.uint32();
      if (r.char() !== 'N') throw new Error('pgoutput: insert without a new tuple');
      return { tag: 'insert', relationOid, newTuple: r.tuple() };
    }
    case 'U': {
      const relationOid = r.uint32();
      let kind = r.char();
      let oldKind: 'K' | 'O' | null = null;
      let oldTuple: TupleValue[] | null = null;
      if (kind === 'K' || kind === 'O') {
        oldKind = kind;
        oldTuple = r.tuple();
        kind = r.char();
      }
      if (kind !== 'N') throw new Error(`pgoutput: update with an unexpected part "${kind}"`);
      return { tag: 'update', relationOid, oldKind, oldTuple, newTuple: r.tuple() };
    }
    case 'D': {
      const relationOid = r.uint32();
      const kind = r.char();
      if (kind !== 'K' && kind !== 'O') throw new Error(`pgoutput: delete with an unexpected part "${kind}"`);
      return { tag: 'delete', relationOid, oldKind: kind, oldTuple: r.tuple() };
    }
    case 'T': {
      const count = r.int32();
      const options = r.byte();
      const relationOids: number[] = [];
      for (let i = 0; i < count; i++) relationOids.push(r.uint32());
      return { tag: 'truncate', cascade: (options & 1) === 1, restartIdentity: (options & 2) === 2, relationOids };
    }
    case 'M': {
      const flags = r.byte();
      const lsn = r.int64();
      const prefix = r.string();
      return { tag: 'message', transactional: (flags & 1) === 1, lsn, prefix, content: Buffer.from(r.bytes(r.int32())) };
    }
    default:
      throw new Error(`pgoutput: message type "${tag}" is not supported (protocol version 1 is requested)`);
  }
}
