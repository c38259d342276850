import { PassThrough } from 'node:stream';

import { describe, expect, it } from 'vitest';

import { MessageReader } from '../../src/engine/physical/wire-command.js';

/** A protocol message: type byte, length (itself included), body. */
function message(code: string, body: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.write(code, 0, 'latin1');
  head.writeUInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
}

describe('MessageReader', () => {
  it('reads every message whole however the socket splits the bytes, and hands back what follows the last one', async () => {
    const bodies = [Buffer.alloc(0), Buffer.from('d'), Buffer.alloc(70_000, 0x5a), Buffer.from('short body'), Buffer.alloc(33_000, 0xa5)];
    const wire = Buffer.concat([...bodies.map((body, at) => message(at % 2 === 0 ? 'd' : 'T', body)), Buffer.from('Zrest')]);
    for (const step of [1, 3, 5, 4096, 65_536, wire.length]) {
      const socket = new PassThrough();
      socket.pause();
      const reader = new MessageReader(socket);
      for (let at = 0; at < wire.length; at += step) socket.write(wire.subarray(at, at + step));
      for (const [at, body] of bodies.entries()) {
        const got = await reader.next();
        expect(got.code, `step ${step}, message ${at}`).toBe(at % 2 === 0 ? 'd' : 'T');
        // The pieces are the body as it arrived; joined they equal it, and so does body.
        expect(Buffer.concat(got.parts as Buffer[]).equals(body), `step ${step}, message ${at}`).toBe(true);
        expect(got.body.equals(body)).toBe(true);
        if (step >= wire.length) expect(got.parts).toHaveLength(1);
      }
      // Bytes left once every message was read: the tail, which may still be in the socket.
      await new Promise((resolve) => setImmediate(resolve));
      expect(Buffer.concat([reader.release(), (socket.read() as Buffer | null) ?? Buffer.alloc(0)]).toString()).toBe('Zrest');
    }
  });
});
