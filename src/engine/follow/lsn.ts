/** WAL positions: PostgreSQL prints them as 'X/Y' (two 32-bit hex halves); the engine computes with bigint. */

export function parseLsn(text: string): bigint {
  const match = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(text.trim());
  if (!match) throw new Error(`not a WAL position: "${text}"`);
  return (BigInt(`0x${match[1]}`) << 32n) | BigInt(`0x${match[2]}`);
}

export function formatLsn(lsn: bigint): string {
  return `${(lsn >> 32n).toString(16).toUpperCase()}/${(lsn & 0xffffffffn).toString(16).toUpperCase()}`;
}

/** Microseconds since 2000-01-01 UTC (PostgreSQL's epoch), as carried by the replication protocol. */
const pgEpochMs = Date.UTC(2000, 0, 1);

export function pgTimestampToDate(micros: bigint): Date {
  return new Date(pgEpochMs + Number(micros / 1000n));
}

export function dateToPgTimestamp(date: Date): bigint {
  return BigInt(date.getTime() - pgEpochMs) * 1000n;
}
