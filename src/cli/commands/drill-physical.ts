import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';

import { drillPointName, markDrillPoint, runPhysicalDrill } from '../../engine/archive/physical-drill.js';
import { joinPath } from '../../engine/storage/archive-storage.js';
import { walFetchCommand } from '../../engine/wal/recovery-settings.js';
import { freePort } from '../../engine/free-port.js';
import { PgferryError } from '../../errors/pgferry-error.js';
import { type LazyStore, type ResolvedArchive, encryptionSecret, json, resolveConnection } from './backup-cli-support.js';

/**
 * `drill STORAGE:BACKUP --physical-from CONNECTION`: records a restore point with every
 * table's checksum on the source (tables briefly locked against writes), restores the base
 * backup into a scratch directory, recovers it to that point from the stored WAL, starts it,
 * compares the checksums, and records the result beside the WAL as drills/<backup>/<point>.json.
 */
export async function physicalDrill(archiveText: string, archive: ResolvedArchive, lazy: LazyStore, flags: { physicalFrom: string; encryptionKeyEnv?: string; json?: boolean; trustUnsigned?: boolean }): Promise<void> {
  if (!archive.saved) throw new PgferryError('PGF_VALIDATION_FAILED', `a physical drill reads WAL from the backup's storage: give the backup as STORAGE:path of a saved storage, not "${archiveText}"`);
  const source = await resolveConnection(flags.physicalFrom, lazy);
  const point = await markDrillPoint(source.config, drillPointName());
  const fetch = walFetchCommand([process.execPath, path.resolve(process.argv[1] ?? 'pgferry')], archive.saved.name, { encryptionKeyEnv: flags.encryptionKeyEnv });
  const result = await runPhysicalDrill({
    storage: archive.location.storage,
    backupPath: archive.location.path,
    trust: await lazy.trust(flags.trustUnsigned === true),
    encryptionSecret: encryptionSecret(flags.encryptionKeyEnv, archive.saved),
    point,
    restoreCommand: fetch,
    source: source.config,
    scratchDir: await mkdtemp(path.join(os.tmpdir(), 'pgferry-drill-')),
    port: await freePort(),
  });
  const record = { ...result, backup: archive.location.path, checked_at: new Date().toISOString(), restore_point_at: point.at };
  await archive.location.storage.write(joinPath('drills', archive.location.path, `${point.name}.json`), Readable.from([Buffer.from(`${JSON.stringify(record, null, 2)}\n`)]));
  const failed = result.tables.filter((table) => !table.ok);
  if (flags.json) json(record);
  else console.log(result.ok ? `drill passed: ${result.tables.length} table(s) match their checksums at restore point ${point.name} (${point.lsn})` : `DRILL FAILED: ${failed.map((table) => table.table).join(', ')} differ at restore point ${point.name}`);
  if (!result.ok) throw new PgferryError('PGF_DRILL_FAILED', `${archive.location.path}: ${failed.length} table(s) differ from their checksums at restore point ${point.name}: ${failed.slice(0, 10).map((table) => table.table).join(', ')}`);
}
