import { describe, expect, it } from 'vitest';

import { dateToPgTimestamp, formatLsn, parseLsn } from '../../src/engine/follow/lsn.js';
import { decodePgoutput } from '../../src/engine/follow/pgoutput-decoder.js';

/** Builds protocol messages byte by byte, as the server lays them out. */
class Writer {
  readonly parts: Buffer[] = [];
  char(c: string) {
    this.parts.push(Buffer.from(c, 'latin1'));
    return this;
  }
  byte(n: number) {
    this.parts.push(Buffer.from([n]));
    return this;
  }
  int16(n: number) {
    const b = Buffer.alloc(2);
    b.writeInt16BE(n);
    this.parts.push(b);
    return this;
  }
  int32(n: number) {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n >>> 0);
    this.parts.push(b);
    return this;
  }
  int64(n: bigint) {
    const b = Buffer.alloc(8);
    b.writeBigInt64BE(n);
    this.parts.push(b);
    return this;
  }
  string(s: string) {
    this.parts.push(Buffer.from(s, 'utf8'), Buffer.from([0]));
    return this;
  }
  tuple(values: (string | null | 'UNCHANGED')[]) {
    this.int16(values.length);
    for (const v of values) {
      if (v === null) this.char('n');
      else if (v === 'UNCHANGED') this.char('u');
      else {
        const bytes = Buffer.from(v, 'utf8');
        this.char('t').int32(bytes.length);
        this.parts.push(bytes);
      }
    }
    return this;
  }
  done() {
    return Buffer.concat(this.parts);
  }
}

const when = new Date('2026-12-04T09:00:00.123Z');

describe('lsn', () => {
  it('parses and formats X/Y positions', () => {
    expect(parseLsn('16/B374D848')).toBe((0x16n << 32n) | 0xb374d848n);
    expect(formatLsn(parseLsn('0/1A2B'))).toBe('0/1A2B');
    expect(() => parseLsn('nope')).toThrow(/WAL position/);
  });
});

describe('decodePgoutput', () => {
  it('decodes Begin and Commit', () => {
    expect(decodePgoutput(new Writer().char('B').int64(0x100n).int64(dateToPgTimestamp(when)).int32(4000000000).done())).toEqual({
      tag: 'begin',
      finalLsn: 0x100n,
      commitTime: when,
      xid: 4000000000,
    });
    expect(decodePgoutput(new Writer().char('C').byte(0).int64(0x100n).int64(0x130n).int64(dateToPgTimestamp(when)).done())).toEqual({
      tag: 'commit',
      flags: 0,
      commitLsn: 0x100n,
      endLsn: 0x130n,
      commitTime: when,
    });
  });

  it('decodes Relation with key flags, types and modifiers, and Type and Origin', () => {
    const relation = new Writer().char('R').int32(16384).string('app').string('Orders "x"').char('f').int16(2);
    relation.byte(1).string('id').int32(23).int32(-1).byte(0).string('naïve').int32(1043).int32(24);
    expect(decodePgoutput(relation.done())).toEqual({
      tag: 'relation',
      relationOid: 16384,
      schema: 'app',
      name: 'Orders "x"',
      replicaIdentity: 'f',
      columns: [
        { key: true, name: 'id', typeOid: 23, typeMod: -1 },
        { key: false, name: 'naïve', typeOid: 1043, typeMod: 24 },
      ],
    });
    expect(decodePgoutput(new Writer().char('Y').int32(70000).string('app').string('mood').done())).toEqual({ tag: 'type', typeOid: 70000, schema: 'app', name: 'mood' });
    expect(decodePgoutput(new Writer().char('O').int64(0x55n).string('upstream').done())).toEqual({ tag: 'origin', originLsn: 0x55n, name: 'upstream' });
  });

  it('decodes Insert with text, null and multi-byte values', () => {
    const message = decodePgoutput(new Writer().char('I').int32(16384).char('N').tuple(['1', null, 'tab\there ✓']).done());
    expect(message).toEqual({
      tag: 'insert',
      relationOid: 16384,
      newTuple: [{ kind: 'text', value: '1' }, { kind: 'null' }, { kind: 'text', value: 'tab\there ✓' }],
    });
  });

  it('decodes Update without old tuple, with K and with O, keeping unchanged TOAST markers', () => {
    expect(decodePgoutput(new Writer().char('U').int32(1).char('N').tuple(['1', 'UNCHANGED']).done())).toEqual({
      tag: 'update',
      relationOid: 1,
      oldKind: null,
      oldTuple: null,
      newTuple: [{ kind: 'text', value: '1' }, { kind: 'unchanged' }],
    });
    const keyed = decodePgoutput(new Writer().char('U').int32(1).char('K').tuple(['1', null]).char('N').tuple(['2', 'b']).done());
    expect(keyed).toMatchObject({ oldKind: 'K', oldTuple: [{ kind: 'text', value: '1' }, { kind: 'null' }], newTuple: [{ value: '2' }, { value: 'b' }] });
    const full = decodePgoutput(new Writer().char('U').int32(1).char('O').tuple(['1', 'a']).char('N').tuple(['1', 'b']).done());
    expect(full).toMatchObject({ oldKind: 'O', oldTuple: [{ value: '1' }, { value: 'a' }] });
  });

  it('decodes Delete (K and O) and Truncate options', () => {
    expect(decodePgoutput(new Writer().char('D').int32(7).char('K').tuple(['9']).done())).toEqual({ tag: 'delete', relationOid: 7, oldKind: 'K', oldTuple: [{ kind: 'text', value: '9' }] });
    expect(decodePgoutput(new Writer().char('D').int32(7).char('O').tuple(['9', 'x']).done())).toMatchObject({ oldKind: 'O' });
    expect(decodePgoutput(new Writer().char('T').int32(2).byte(3).int32(7).int32(8).done())).toEqual({ tag: 'truncate', cascade: true, restartIdentity: true, relationOids: [7, 8] });
    expect(decodePgoutput(new Writer().char('T').int32(1).byte(0).int32(7).done())).toEqual({ tag: 'truncate', cascade: false, restartIdentity: false, relationOids: [7] });
  });

  it('decodes Message', () => {
    const content = Buffer.from('hello');
    const w = new Writer().char('M').byte(1).int64(0x99n).string('pgferry').int32(content.length);
    w.parts.push(content);
    expect(decodePgoutput(w.done())).toEqual({ tag: 'message', transactional: true, lsn: 0x99n, prefix: 'pgferry', content });
  });

  it('refuses what it does not understand, loudly', () => {
    expect(() => decodePgoutput(Buffer.from('S'))).toThrow(/not supported/);
    expect(() => decodePgoutput(new Writer().char('I').int32(1).char('N').int16(1).char('b').done())).toThrow(/binary/);
    expect(() => decodePgoutput(new Writer().char('I').int32(1).char('N').int16(1).char('t').int32(10).done())).toThrow(/shorter/);
  });
});
