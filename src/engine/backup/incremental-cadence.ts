import path from 'node:path';

import pg from 'pg';

import { describeTarget } from '../connection-config.js';
import { assertIncrementalServer } from '../physical/incremental-protocol.js';
import { type PhysicalBackupSummary, listPhysicalBackups } from '../physical/list-physical-backups.js';
import type { ArchiveStorage } from '../storage/archive-storage.js';
import { explicitConfig } from './client-config.js';

// A series of backups into one folder (a saved job's): each an incremental on the previous
// one, a full one every Nth time or whenever the previous one cannot be built on.

export type CadenceDecision = { kind: 'full'; reason: string } | { kind: 'incremental'; parent: string; sinceFull: number };

export interface OwnBackup {
  path: string;
  /** Why it cannot be a parent (e.g. verify found it corrupt); absent when it can. */
  unusable?: string | undefined;
}

export interface CadenceRequest {
  storage: ArchiveStorage;
  /** The series' folder: parents are looked for here only. */
  under: string;
  /** Every Nth backup is a full one (≥ 2). */
  fullEvery: number;
  /** The series' own backups (e.g. those a job recorded); other backups in the folder are ignored (default: all of them). */
  own?: readonly OwnBackup[] | undefined;
}

/**
 * Checks, before anything is written, that the server can take incremental backups at all
 * (PostgreSQL 17+, summarize_wal = on): a series asked to be incremental must not quietly
 * become a series of full backups. Uses an ordinary connection (the replication one comes later).
 */
export async function assertIncrementalSource(source: pg.ClientConfig): Promise<void> {
  const config = explicitConfig(source);
  const client = new pg.Client(config);
  client.on('error', () => undefined);
  await client.connect();
  try {
    const facts = await client.query<{ version: string; num: string }>("SELECT current_setting('server_version') AS version, current_setting('server_version_num') AS num");
    const row = facts.rows[0];
    await assertIncrementalServer({ client, serverVersion: row?.version ?? '?', serverVersionNum: Number(row?.num ?? 0) }, describeTarget(config));
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * How many incrementals lie between `backup` and its full backup (0: it is full), following
 * parents through `backups`; a string names the missing parent when the chain is cut.
 */
export function incrementalsSinceFull(backups: readonly PhysicalBackupSummary[], backup: PhysicalBackupSummary): number | { missing: string } {
  const byPath = new Map(backups.map((entry) => [entry.path, entry]));
  let count = 0;
  for (let current = backup; current.parent !== undefined; count += 1) {
    const parent = byPath.get(current.parent);
    if (!parent || count >= backups.length) return { missing: current.parent };
    current = parent;
  }
  return count;
}

/** Full or incremental, and on which parent: read from the manifests in the series' folder. */
export async function planIncrementalRun(request: CadenceRequest): Promise<CadenceDecision> {
  const where = request.storage.describe(request.under);
  const all = await listPhysicalBackups(request.storage, { under: request.under });
  const own = request.own ? new Map(request.own.map((backup) => [backup.path, backup])) : undefined;
  const latest = (own ? all.filter((backup) => own.has(backup.path)) : all).at(-1);
  if (!latest) return { kind: 'full', reason: `no earlier backup in ${where}` };
  const name = path.posix.basename(latest.path);
  const unusable = own?.get(latest.path)?.unusable;
  if (unusable) return { kind: 'full', reason: `the latest backup ${name} ${unusable}` };
  const since = incrementalsSinceFull(all, latest);
  if (typeof since !== 'number') return { kind: 'full', reason: `the chain of the latest backup ${name} is cut: its parent ${since.missing} is not in ${where}` };
  if (since + 1 >= request.fullEvery) {
    return { kind: 'full', reason: `${name} already ends a chain of ${since} incremental backup(s) since its full backup (a full backup every ${request.fullEvery} runs)` };
  }
  return { kind: 'incremental', parent: latest.path, sinceFull: since };
}
