import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';

import { drillPointName, markDrillPoint, runPhysicalDrill } from '../../engine/archive/physical-drill.js';
import { applyPhysicalRetention, planPhysicalRetention } from '../../engine/backup/physical-retention.js';
import { listPhysicalBackups } from '../../engine/physical/list-physical-backups.js';
import { joinPath } from '../../engine/storage/archive-storage.js';
import { walFetchCommand } from '../../engine/wal/recovery-settings.js';
import { PgferryError } from '../../errors/pgferry-error.js';
import { loadAllowedConnectionTarget, openAllowedStorage } from '../../net/allowed-targets.js';
import { archiveSigningKeyOf } from '../../secrets/archive-signing-key.js';
import { loadStorageTarget } from '../../store/storage-repository.js';
import { protectionTimeline } from '../protection/protection-timeline.js';
import type { RunExecutor, RunResult } from '../run-executor.js';
import { freePort } from '../../engine/free-port.js';

/**
 * A scheduled physical drill of a protected connection (kind `drill`, params.physical): as
 * `drill --physical-from`, on the newest restorable base backup of the protection's storage;
 * after a drill that passed, the protection's GFS policy prunes base backups and old WAL
 * (never after a failed one: the backups a failed drill doubts are kept for inspection).
 */
export const physicalDrillExecutor: RunExecutor = async (run, context) => {
  const { connection_id: connectionId } = run.params as { connection_id: string };
  const protection = await context.db.selectFrom('connection_protection').selectAll().where('connection_id', '=', connectionId).executeTakeFirstOrThrow();
  const timeline = await protectionTimeline(context.db, context.secrets, context.outbound, connectionId);
  const window = timeline.windows.filter((candidate) => !candidate.unrestorable).at(-1);
  if (!window) throw new PgferryError('PGF_DRILL_FAILED', `no restorable physical base backup of connection ${connectionId} in storage "${timeline.storage_name}"; take one (pgferry backup --format physical) before a drill can run`);
  const source = await loadAllowedConnectionTarget(context.db, context.secrets, context.outbound, connectionId);
  const storageTarget = await loadStorageTarget(context.db, context.secrets, protection.storage_id);
  const storage = openAllowedStorage(context.outbound, storageTarget);
  const scratchDir = await mkdtemp(path.join(os.tmpdir(), 'pgferry-drill-'));
  try {
    const point = await markDrillPoint(source.config, drillPointName());
    context.log('info', `drill of "${source.name}": restore point ${point.name} at ${point.lsn}; recovering base backup ${window.backup} to it`);
    const fetch = walFetchCommand([process.execPath, path.resolve(process.argv[1] ?? 'pgferry')], timeline.storage_name);
    const result = await runPhysicalDrill({
      storage,
      backupPath: window.backup,
      trust: { signingKey: archiveSigningKeyOf(context.secrets), trustUnsigned: false },
      encryptionSecret: storageTarget.encryptionSecret,
      point,
      restoreCommand: fetch,
      source: source.config,
      scratchDir,
      port: await freePort(),
      signal: context.signal,
    });
    const record = { ...result, backup: window.backup, checked_at: new Date().toISOString(), restore_point_at: point.at };
    await storage.write(joinPath('drills', window.backup, `${point.name}.json`), Readable.from([Buffer.from(`${JSON.stringify(record, null, 2)}\n`)]));
    const failed = result.tables.filter((table) => !table.ok);
    if (!result.ok) throw new PgferryError('PGF_DRILL_FAILED', `${window.backup}: ${failed.length} table(s) differ from their checksums at restore point ${point.name}: ${failed.slice(0, 10).map((table) => table.table).join(', ')}`);
    context.log('info', `drill passed: ${result.tables.length} table(s) match their checksums at restore point ${point.name} (${point.lsn})`);
    const policy = { keepLast: protection.keep_last ?? undefined, daily: protection.keep_daily ?? undefined, weekly: protection.keep_weekly ?? undefined, monthly: protection.keep_monthly ?? undefined };
    if (Object.values(policy).some((value) => value !== undefined)) {
      const plan = await planPhysicalRetention(storage, await listPhysicalBackups(storage, timeline.system_id ? { systemId: timeline.system_id } : {}), policy);
      const removed = await applyPhysicalRetention(storage, plan);
      context.log('info', `retention: kept ${plan.keep.length} base backup(s), deleted ${removed.backups} and ${removed.walFiles} WAL file(s) before the oldest kept one`, {
        data: { kept: plan.keep.map((decision) => decision.backup.id), expired: plan.expire.map((decision) => decision.backup.id) },
      });
    }
    const outcome: RunResult = { status: 'succeeded', tables: result.tables.map((table) => ({ table: table.table, status: 'succeeded', rows: table.restoredRows ?? 0, bytes: 0 })), totalRows: 0, totalBytes: 0 };
    return outcome;
  } finally {
    await storage.close();
    await rm(scratchDir, { recursive: true, force: true });
  }
};
