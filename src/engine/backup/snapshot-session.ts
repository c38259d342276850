import type pg from 'pg';

import { openSession } from '../sql/session-settings.js';
import { quoteLiteral } from '../sql/quote-ident.js';

/**
 * The coordinator of a consistent dump: a REPEATABLE READ, READ ONLY transaction whose
 * snapshot every reader imports. It stays open until the last reader has started.
 */
export async function openSnapshot(config: pg.ClientConfig): Promise<{ client: pg.Client; snapshot: string }> {
  const client = await openSession(config, 'source', 'pgferry backup');
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY');
    const result = await client.query<{ snapshot: string }>('SELECT pg_export_snapshot() AS snapshot');
    return { client, snapshot: result.rows[0]?.snapshot ?? '' };
  } catch (error) {
    await client.end().catch(() => undefined);
    throw error;
  }
}

/** A reader that sees exactly the coordinator's snapshot. */
export async function openSnapshotReader(config: pg.ClientConfig, snapshot: string): Promise<pg.Client> {
  const client = await openSession(config, 'source', 'pgferry backup');
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY');
    await client.query(`SET TRANSACTION SNAPSHOT ${quoteLiteral(snapshot)}`);
    return client;
  } catch (error) {
    await client.end().catch(() => undefined);
    throw error;
  }
}
