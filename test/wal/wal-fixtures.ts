import { spawnSync } from 'node:child_process';
import { chmod, cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import pg from 'pg';

export { freePort } from '../../src/engine/free-port.js';
import type { WalStreamEvent } from '../../src/engine/wal/wal-streamer.js';
import type { TestCluster } from '../helpers/pg-cluster.js';
import { cliPath } from '../helpers/run-cli.js';

/** A scratch directory the `postgres` user can enter (restore_command runs as that user when tests run as root). */
export async function scratchDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  await chmod(dir, 0o777);
  return dir;
}

export async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * A base backup through the low-level API (the physical backup engine is built separately):
 * backup start, a copy of the data directory without pg_wal's contents, backup stop, and the
 * backup_label (and tablespace_map) written into the copy.
 */
export async function lowLevelBackup(cluster: TestCluster, target: string): Promise<{ startLsn: string; stopLsn: string }> {
  return withClient(cluster.url(), async (client) => {
    const modern = cluster.major >= 15;
    const start = await client.query<{ lsn: string }>(modern ? "SELECT pg_backup_start('pgferry-test', true)::text AS lsn" : "SELECT pg_start_backup('pgferry-test', true, false)::text AS lsn");
    await cp(cluster.dataDir, target, {
      recursive: true,
      filter: (source) => {
        const relative = path.relative(cluster.dataDir, source);
        return !(/^pg_wal\/./.test(relative) || ['postmaster.pid', 'postmaster.opts', 'postgresql.log'].includes(relative));
      },
    });
    await mkdir(path.join(target, 'pg_wal', 'archive_status'), { recursive: true });
    const stop = await client.query<{ labelfile: string; spcmapfile: string | null; lsn: string }>(
      modern ? 'SELECT labelfile, spcmapfile, lsn::text FROM pg_backup_stop(false)' : 'SELECT labelfile, spcmapfile, lsn::text FROM pg_stop_backup(false, false)',
    );
    const row = stop.rows[0]!;
    await writeFile(path.join(target, 'backup_label'), row.labelfile);
    if (row.spcmapfile) await writeFile(path.join(target, 'tablespace_map'), row.spcmapfile);
    return { startLsn: start.rows[0]!.lsn, stopLsn: row.lsn };
  });
}

/** restore_command that runs this checkout's CLI. */
export function fetchCommand(storage: string): string {
  return `${process.execPath} ${cliPath} wal fetch %f %p --storage ${storage}`;
}

/** Stops a cluster started by startAndAwaitRecovery (as the postgres user when we are root). */
export function stopRestored(dataDir: string, pgCtl: string): void {
  const owner = process.getuid?.() === 0 ? { uid: Number(spawnSync('id', ['-u', 'postgres']).stdout), gid: Number(spawnSync('id', ['-g', 'postgres']).stdout) } : {};
  spawnSync(pgCtl, ['stop', '-D', dataDir, '-m', 'immediate', '-w'], { ...owner, stdio: 'ignore' });
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/** Waits for the first event of a kind from a running stream. */
export function eventWaiter(events: WalStreamEvent[]) {
  return async (check: (event: WalStreamEvent) => boolean, limitMs = 120_000): Promise<WalStreamEvent> => {
    const deadline = Date.now() + limitMs;
    while (Date.now() < deadline) {
      const found = events.find(check);
      if (found) return found;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`no matching WAL stream event within ${limitMs} ms; saw ${JSON.stringify(events)}`);
  };
}
