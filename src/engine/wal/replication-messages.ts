/**
 * The CopyData messages of physical streaming replication (PostgreSQL protocol docs,
 * "Streaming Replication Protocol"). Times are microseconds since 2000-01-01 UTC.
 */
const postgresEpochMs = 946_684_800_000;

export type ServerMessage =
  | { kind: 'data'; start: bigint; walEnd: bigint; sentAt: Date; bytes: Buffer }
  | { kind: 'keepalive'; walEnd: bigint; sentAt: Date; replyRequested: boolean };

const timeOf = (micros: bigint) => new Date(postgresEpochMs + Number(micros / 1000n));

/** One CopyData payload from the server; anything else is a protocol error. */
export function parseServerMessage(payload: Buffer): ServerMessage {
  const tag = payload[0];
  if (tag === 0x77 /* w */ && payload.length >= 25) {
    return { kind: 'data', start: payload.readBigUInt64BE(1), walEnd: payload.readBigUInt64BE(9), sentAt: timeOf(payload.readBigInt64BE(17)), bytes: payload.subarray(25) };
  }
  if (tag === 0x6b /* k */ && payload.length >= 18) {
    return { kind: 'keepalive', walEnd: payload.readBigUInt64BE(1), sentAt: timeOf(payload.readBigInt64BE(9)), replyRequested: payload[17] === 1 };
  }
  throw new Error(`unexpected replication message (tag ${tag === undefined ? 'none' : String.fromCharCode(tag)}, ${payload.length} bytes)`);
}

/**
 * Standby status update: written and flushed positions. Flushed is what the slot may free,
 * so the streamer reports only WAL that is durably in storage; apply is unused (0).
 */
export function standbyStatusUpdate(written: bigint, flushed: bigint, now = new Date()): Buffer {
  const message = Buffer.alloc(34);
  message[0] = 0x72; // r
  message.writeBigUInt64BE(written, 1);
  message.writeBigUInt64BE(flushed, 9);
  message.writeBigUInt64BE(0n, 17);
  message.writeBigInt64BE(BigInt(now.getTime() - postgresEpochMs) * 1000n, 25);
  message[33] = 0;
  return message;
}
