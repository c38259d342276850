import type pg from 'pg';

import { formatLsn, parseLsn } from './lsn.js';

/**
 * The applied position of each follow, kept IN THE DESTINATION (schema `pgferry`) and written
 * in the same transaction as the changes it covers: after a crash the destination's rows and
 * its position always agree, so a resume neither loses nor repeats a change.
 */
export interface StoredPosition {
  lsn: bigint;
  xid: number | null;
  commitTime: Date | null;
  updatedAt: Date;
}

const table = 'pgferry.follow_position';

export async function ensurePositionTable(client: pg.Client): Promise<void> {
  await client.query(`CREATE SCHEMA IF NOT EXISTS pgferry`);
  await client.query(
    `CREATE TABLE IF NOT EXISTS ${table} (follow_id text PRIMARY KEY, lsn pg_lsn NOT NULL, xid bigint, commit_time timestamptz, updated_at timestamptz NOT NULL DEFAULT now())`,
  );
}

/** The stored position, or undefined when this follow has none (never copied, or dropped). */
export async function readPosition(client: pg.Client, followId: string): Promise<StoredPosition | undefined> {
  const exists = await client.query<{ found: boolean }>(`SELECT to_regclass('${table}') IS NOT NULL AS found`);
  if (!exists.rows[0]?.found) return undefined;
  const result = await client.query<{ lsn: string; xid: string | null; commit_time: Date | null; updated_at: Date }>(
    `SELECT lsn::text AS lsn, xid::text AS xid, commit_time, updated_at FROM ${table} WHERE follow_id = $1`,
    [followId],
  );
  const row = result.rows[0];
  if (!row) return undefined;
  return { lsn: parseLsn(row.lsn), xid: row.xid === null ? null : Number(row.xid), commitTime: row.commit_time, updatedAt: row.updated_at };
}

/** Upserts the position inside the caller's transaction. */
export async function writePosition(client: pg.Client, followId: string, position: { lsn: bigint; xid: number | null; commitTime: Date | null }): Promise<void> {
  await client.query(
    {
      name: 'pgferry_follow_position',
      text: `INSERT INTO ${table} (follow_id, lsn, xid, commit_time, updated_at) VALUES ($1, $2::pg_lsn, $3, $4, now())
             ON CONFLICT (follow_id) DO UPDATE SET lsn = excluded.lsn, xid = coalesce(excluded.xid, ${table}.xid), commit_time = coalesce(excluded.commit_time, ${table}.commit_time), updated_at = now()`,
    },
    [followId, formatLsn(position.lsn), position.xid, position.commitTime],
  );
}

export async function deletePosition(client: pg.Client, followId: string): Promise<boolean> {
  const exists = await client.query<{ found: boolean }>(`SELECT to_regclass('${table}') IS NOT NULL AS found`);
  if (!exists.rows[0]?.found) return false;
  const result = await client.query(`DELETE FROM ${table} WHERE follow_id = $1`, [followId]);
  return (result.rowCount ?? 0) > 0;
}
