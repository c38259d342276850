import pg from 'pg';

/**
 * WAL the server keeps for the slot (its current WAL end minus the slot's restart position):
 * what fills the source's disk when streaming stalls. Null when the slot has no position yet.
 * One short SQL connection per call: callers measure every few seconds, not per message.
 */
export async function slotRetainedBytes(config: pg.ClientConfig, slot: string): Promise<number | null> {
  const client = new pg.Client({ ...config, application_name: 'pgferry protection' });
  client.on('error', () => undefined);
  await client.connect();
  try {
    const result = await client.query<{ retained: string | null }>(
      `SELECT pg_wal_lsn_diff(CASE WHEN pg_is_in_recovery() THEN pg_last_wal_receive_lsn() ELSE pg_current_wal_lsn() END, restart_lsn)::text AS retained
       FROM pg_replication_slots WHERE slot_name = $1`,
      [slot],
    );
    const value = result.rows[0]?.retained;
    return value === null || value === undefined ? null : Number(value);
  } finally {
    await client.end().catch(() => undefined);
  }
}
