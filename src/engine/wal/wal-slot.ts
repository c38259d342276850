import pg from 'pg';

import { PgferryError } from '../../errors/pgferry-error.js';
import { classifyConnectionError } from '../connection-test/classify-connection-error.js';
import { describeTarget } from '../connection-config.js';
import { type Lsn, parseLsn } from './lsn.js';
import { assertSlotName } from './replication-session.js';

async function withSql<T>(config: pg.ClientConfig, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client(config);
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    throw classifyConnectionError(error, config);
  }
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * The physical slot of a WAL stream, created (reserving WAL at once) when missing. Returns
 * where the server keeps WAL from: the first start begins there, so nothing between the
 * slot's creation and the first upload is lost.
 */
export async function ensureWalSlot(config: pg.ClientConfig, slot: string): Promise<{ created: boolean; restartLsn: Lsn | undefined }> {
  assertSlotName(slot);
  return withSql(config, async (client) => {
    const read = async () =>
      (await client.query<{ slot_type: string; restart_lsn: string | null }>('SELECT slot_type, restart_lsn::text FROM pg_replication_slots WHERE slot_name = $1', [slot])).rows[0];
    let row = await read();
    let created = false;
    if (!row) {
      await client.query('SELECT pg_create_physical_replication_slot($1, true)', [slot]).catch((error: unknown) => {
        // Another streamer won the race: its slot is as good as ours.
        if ((error as { code?: string }).code !== '42710') throw new PgferryError('PGF_WAL_STREAM_FAILED', `creating replication slot ${slot} on ${describeTarget(config)} failed: ${(error as Error).message}; the role needs REPLICATION and max_replication_slots must leave room`, { cause: error });
      });
      created = true;
      row = await read();
    }
    if (row?.slot_type !== 'physical') {
      throw new PgferryError('PGF_WAL_STREAM_FAILED', `replication slot ${slot} on ${describeTarget(config)} is a ${row?.slot_type ?? 'missing'} slot, not physical; drop it or choose another slot name`);
    }
    return { created, restartLsn: row.restart_lsn === null ? undefined : parseLsn(row.restart_lsn) };
  });
}

/** Drops the stream's slot (the protection was removed): the server stops keeping WAL for it. Returns whether it existed. */
export async function dropWalSlot(config: pg.ClientConfig, slot: string): Promise<boolean> {
  assertSlotName(slot);
  return withSql(config, async (client) => {
    // A streamer that just stopped leaves its WAL sender for a moment: wait for it, then name it.
    const deadline = Date.now() + 10_000;
    for (;;) {
      const found = await client.query<{ active_pid: number | null }>('SELECT active_pid FROM pg_replication_slots WHERE slot_name = $1', [slot]);
      const row = found.rows[0];
      if (!row) return false;
      if (row.active_pid === null) break;
      if (Date.now() > deadline) {
        throw new PgferryError('PGF_CONFLICT', `replication slot ${slot} on ${describeTarget(config)} is in use by process ${row.active_pid}; stop the WAL stream first, then drop the slot`);
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    await client.query('SELECT pg_drop_replication_slot($1)', [slot]);
    return true;
  });
}
