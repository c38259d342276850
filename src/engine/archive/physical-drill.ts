import { spawnSync } from 'node:child_process';
import { chmod, rm } from 'node:fs/promises';
import path from 'node:path';

import pg from 'pg';

import { PgferryError } from '../../errors/pgferry-error.js';
import { restorePhysicalBackup } from '../physical/restore-physical.js';
import { qualified } from '../sql/quote-ident.js';
import type { ArchiveStorage } from '../storage/archive-storage.js';
import { parseLsn } from '../wal/lsn.js';
import { writeRecoverySettings } from '../wal/recovery-settings.js';
import { findServerBinaries } from '../wal/server-binaries.js';
import { startAndAwaitRecovery } from '../wal/start-recovery.js';
import { verifyWalChain } from '../wal/wal-chain.js';
import type { ArchiveTrust } from './manifest-signature.js';

export interface TableChecksum {
  table: string;
  rows: number;
  md5: string;
}

/** The point a physical drill restores to: a restore point on the source and every table's checksum at it. */
export interface DrillPoint {
  name: string;
  lsn: string;
  at: string;
  database: string;
  tables: TableChecksum[];
}

const userTables = `SELECT n.nspname AS schema, c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
  ORDER BY 1, 2`;

/** Row count and an order-independent digest of every row's text, per table. */
async function tableChecksums(client: pg.Client, tables: { schema: string; name: string }[]): Promise<TableChecksum[]> {
  const sums: TableChecksum[] = [];
  for (const table of tables) {
    const name = qualified(table.schema, table.name);
    const result = await client.query<{ rows: string; md5: string }>(`SELECT count(*)::text AS rows, md5(coalesce(string_agg(md5(t::text), '' ORDER BY md5(t::text)), '')) AS md5 FROM ${name} t`);
    sums.push({ table: `${table.schema}.${table.name}`, rows: Number(result.rows[0]!.rows), md5: result.rows[0]!.md5 });
  }
  return sums;
}

/**
 * Records the drill's target on the source: every user table of the connection's database is
 * locked against writes (SHARE: readers go on) while its checksum is taken and a restore point
 * is written, so the restore point is exactly the state summed. Writers wait for that long;
 * `lockTimeoutMs` bounds the wait for the locks themselves. Then the WAL segment is switched so
 * the restore point reaches the archive without waiting for more writes.
 */
export async function markDrillPoint(source: pg.ClientConfig, name: string, lockTimeoutMs = 10_000): Promise<DrillPoint> {
  const client = new pg.Client({ ...source, application_name: 'pgferry drill' });
  client.on('error', () => undefined);
  await client.connect();
  try {
    await client.query('BEGIN');
    await client.query(`SET LOCAL lock_timeout = ${Math.round(lockTimeoutMs)}`);
    const tables = (await client.query<{ schema: string; name: string }>(userTables)).rows;
    if (tables.length > 0) await client.query(`LOCK TABLE ${tables.map((table) => qualified(table.schema, table.name)).join(', ')} IN SHARE MODE`);
    const sums = await tableChecksums(client, tables);
    const point = (await client.query<{ lsn: string; at: string; db: string }>('SELECT pg_create_restore_point($1)::text AS lsn, clock_timestamp()::text AS at, current_database() AS db', [name])).rows[0]!;
    await client.query('COMMIT');
    await client.query('SELECT pg_switch_wal()');
    return { name, lsn: point.lsn, at: point.at, database: point.db, tables: sums };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw new PgferryError('PGF_DRILL_FAILED', `could not record the drill's restore point on database ${String(source.database ?? '')}: ${(error as Error).message}; the role needs pg_create_restore_point (superuser or granted) and to lock every table`, { cause: error });
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** pg_ctl refuses root: as root, the scratch server is stopped as `postgres` (as start-recovery starts it). */
function serverUser(): { uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return {};
  const id = (flag: string) => Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim());
  return { uid: id('-u'), gid: id('-g') };
}

export interface PhysicalDrillOptions {
  /** The storage holding the base backup and, at its root, the WAL. */
  storage: ArchiveStorage;
  backupPath: string;
  trust: ArchiveTrust;
  encryptionSecret?: string | undefined;
  point: DrillPoint;
  /** restore_command of the restored cluster (a `pgferry wal fetch` of this storage). */
  restoreCommand: string;
  /** Connects to the restored cluster: the source's settings (same roles, same passwords) on 127.0.0.1:port. */
  source: pg.ClientConfig;
  scratchDir: string;
  port: number;
  /** How long to wait for the restore point's WAL to reach storage (default: 5 min). */
  walWaitMs?: number | undefined;
  signal?: AbortSignal | undefined;
}

export interface PhysicalDrillResult {
  ok: boolean;
  restorePoint: string;
  lsn: string;
  tables: (TableChecksum & { restoredRows: number | null; restoredMd5: string | null; ok: boolean })[];
  recoveryStoppedAt: string | undefined;
}

async function awaitWal(options: PhysicalDrillOptions, systemId: string, fromLsn: string, timeline: number): Promise<void> {
  const deadline = Date.now() + (options.walWaitMs ?? 300_000);
  const needed = parseLsn(options.point.lsn);
  for (;;) {
    const chain = await verifyWalChain(options.storage, systemId, fromLsn, timeline);
    if (parseLsn(chain.end) > needed) return;
    if (Date.now() > deadline || options.signal?.aborted) {
      throw new PgferryError('PGF_WAL_SEGMENT_MISSING', `the drill's restore point ${options.point.lsn} is not in ${options.storage.describe('wal')} yet (stored WAL ends at ${chain.end}${chain.firstMissing ? `, segment ${chain.firstMissing} missing` : ''}); is the connection under continuous protection and streaming?`);
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

/**
 * Restores the base backup into a scratch directory, recovers it to the drill's restore point
 * from the stored WAL, starts it, and compares every table's checksum with the one recorded at
 * that point. The scratch cluster is stopped and removed afterwards, whatever happened.
 */
export async function runPhysicalDrill(options: PhysicalDrillOptions): Promise<PhysicalDrillResult> {
  const dataDir = path.join(options.scratchDir, 'data');
  let pgCtl: string | undefined;
  try {
    // The server runs as `postgres` when pgferry runs as root: it must reach the data directory.
    await chmod(options.scratchDir, 0o755);
    const restored = await restorePhysicalBackup({ storage: options.storage, path: options.backupPath, toDir: dataDir, trust: options.trust, encryptionSecret: options.encryptionSecret, signal: options.signal });
    await awaitWal(options, restored.systemId, restored.startLsn, restored.timeline);
    await writeRecoverySettings(dataDir, { target: { name: options.point.name }, restoreCommand: options.restoreCommand, action: 'promote' });
    pgCtl = (await findServerBinaries(restored.serverMajor)).pg_ctl;
    const outcome = await startAndAwaitRecovery({ dataDir, port: options.port, signal: options.signal });
    const client = new pg.Client({ ...options.source, host: '127.0.0.1', port: options.port, database: options.point.database, ssl: false, application_name: 'pgferry drill' });
    client.on('error', () => undefined);
    await client.connect();
    let restoredSums: TableChecksum[];
    try {
      const present = (await client.query<{ schema: string; name: string }>(userTables)).rows;
      restoredSums = await tableChecksums(client, present);
    } finally {
      await client.end().catch(() => undefined);
    }
    const byTable = new Map(restoredSums.map((sum) => [sum.table, sum]));
    const tables = options.point.tables.map((sum) => {
      const found = byTable.get(sum.table);
      return { ...sum, restoredRows: found?.rows ?? null, restoredMd5: found?.md5 ?? null, ok: found !== undefined && found.md5 === sum.md5 && found.rows === sum.rows };
    });
    return { ok: tables.every((table) => table.ok), restorePoint: options.point.name, lsn: options.point.lsn, tables, recoveryStoppedAt: outcome.stoppedAt };
  } finally {
    if (pgCtl) spawnSync(pgCtl, ['stop', '-D', dataDir, '-m', 'fast', '-w'], { ...serverUser(), stdio: 'ignore' });
    await rm(options.scratchDir, { recursive: true, force: true });
  }
}

/** The restore point's name for a drill at `now` (PostgreSQL keeps it in the WAL; quoting is the server's). */
export function drillPointName(now = new Date()): string {
  return `pgferry-drill-${now.toISOString().replace(/[-:.]/g, '')}`;
}

