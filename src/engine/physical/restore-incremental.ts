import { chmod, chown, mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { PgferryError } from '../../errors/pgferry-error.js';
import { openArchiveKey } from '../archive/encryption.js';
import type { Manifest } from '../archive/manifest.js';
import { syncDirectory, syncTree } from '../storage/durable-fs.js';
import { applyIncrementalBackup, fullBackupLabel } from './apply-incremental.js';
import { loadBackupChain } from './backup-chain.js';
import type { RestorePhysicalOptions, RestorePhysicalResult } from './restore-physical.js';
import { assertEmptyTarget, chownTree, defaultOwner, stagingOf } from './restore-target.js';

type RestoreFull = (options: RestorePhysicalOptions) => Promise<RestorePhysicalResult>;

/**
 * Restores an incremental backup: the chain's full backup is restored (by `restoreFull`, the
 * ordinary restore) into a staging sibling of the target, each incremental of the chain is
 * applied on top in order, then the directory is renamed into place. Like pg_combinebackup,
 * each relation block comes from the newest backup that holds it; unlike it, the chain is
 * applied oldest first onto one directory, so no backup needs to be on disk twice.
 */
export async function restoreIncrementalChain(options: RestorePhysicalOptions, manifest: Manifest, restoreFull: RestoreFull): Promise<RestorePhysicalResult> {
  const started = Date.now();
  const chain = await loadBackupChain({ storage: options.storage, path: options.path }, manifest, options.trust);
  const [full, ...incrementals] = chain;
  const last = chain.at(-1);
  if (!full || !last || incrementals.length === 0) throw new PgferryError('PGF_BACKUP_CHAIN_BROKEN', `${options.storage.describe(options.path)} has no chain to restore`);
  const dataDir = path.resolve(options.toDir);
  await assertEmptyTarget(dataDir, 'the target directory');
  const combineDir = `${stagingOf(dataDir)}-chain`;
  await rm(combineDir, { recursive: true, force: true });
  let base: RestorePhysicalResult | undefined;
  try {
    options.onEvent?.({ type: 'table:start', table: `full backup ${full.location.path}` });
    base = await restoreFull({ ...options, storage: full.location.storage, path: full.location.path, toDir: combineDir, extraFiles: undefined, manifest: full.manifest });
    let files = base.files;
    let bytes = base.bytes;
    for (const link of incrementals) {
      options.signal?.throwIfAborted();
      options.onEvent?.({ type: 'table:start', table: `incremental backup ${link.location.path}` });
      const key = link.manifest.encryption ? openArchiveKey(options.encryptionSecret, link.manifest.encryption, link.location.storage.describe(link.location.path)) : undefined;
      const applied = await applyIncrementalBackup(link, combineDir, key, options.signal);
      options.onEvent?.({ type: 'table:done', table: `incremental backup ${link.location.path}`, rows: applied.files });
      files += applied.files;
      bytes += applied.bytes;
    }
    await fullBackupLabel(combineDir);
    for (const extra of options.extraFiles ?? []) await writeFile(path.join(combineDir, extra.path), extra.content, { mode: 0o600 });
    const owner = options.owner ?? (await defaultOwner());
    await chmod(combineDir, 0o700);
    if (owner) {
      await chownTree(combineDir, owner);
      for (const tablespace of base.tablespaces) await chownTree(tablespace.dir, owner);
    }
    // The incrementals' writes made durable before the directory is in place (the full backup's were by restoreFull).
    await syncTree(combineDir);
    for (const tablespace of base.tablespaces) await syncTree(tablespace.dir);
    await mkdir(path.dirname(dataDir), { recursive: true });
    await rename(combineDir, dataDir).catch((error: NodeJS.ErrnoException) => {
      throw new PgferryError('PGF_RESTORE_FAILED', `cannot move the restored files from ${combineDir} into ${dataDir} (${error.code ?? error.message}); ${dataDir} may be a mount point — restore into a new directory inside it`, { cause: error });
    });
    if (owner) await chown(dataDir, owner.uid, owner.gid);
    await syncDirectory(path.dirname(dataDir));
    const kept = new Set(last.physical.archives.map((archive) => archive.tablespace_oid));
    return {
      dataDir,
      systemId: last.physical.system_identifier,
      timeline: last.physical.timeline,
      startLsn: last.physical.start_lsn,
      endLsn: last.physical.end_lsn,
      serverMajor: last.physical.server_major,
      walIncluded: last.physical.wal === 'included',
      files,
      bytes,
      tablespaces: base.tablespaces.filter((tablespace) => kept.has(tablespace.oid)),
      durationMs: Date.now() - started,
    };
  } catch (error) {
    await rm(combineDir, { recursive: true, force: true }).catch(() => undefined);
    // The full backup's restore put the tablespaces in their final places: empty them again.
    for (const tablespace of base?.tablespaces ?? []) {
      for (const entry of await readdir(tablespace.dir).catch(() => [] as string[])) await rm(path.join(tablespace.dir, entry), { recursive: true, force: true }).catch(() => undefined);
    }
    throw error;
  }
}
