import type { Command } from 'commander';

import { openArchiveKey } from '../../engine/archive/encryption.js';
import { verifyArchive } from '../../engine/archive/verify-archive.js';
import type { Manifest } from '../../engine/archive/manifest.js';
import { type PhysicalContentsResult, verifyPhysicalContents } from '../../engine/physical/verify-physical-contents.js';
import { type BackupWalCheck, checkBackupWal, describeBackupWal } from '../../engine/wal/backup-wal-check.js';
import { PgferryError } from '../../errors/pgferry-error.js';
import { recordVerify } from '../../store/backup-repository.js';
import { type LazyStore, type ResolvedArchive, encryptionSecret, json, resolveArchive, resolveStorage, withLazyStore } from './backup-cli-support.js';

export function registerVerifyCommand(program: Command): void {
  program
    .command('verify')
    .description("Check an archive's signature and re-read every file's sha256 against its manifest")
    .argument('<archive>', 'archive directory, s3://bucket/prefix/archive, STORAGE:path or a backup id')
    .option('--trust-unsigned', 'pass an unsigned or foreign-signed archive whose files are intact')
    .option('--deep', 'physical backups: also read every archive (decrypted, decompressed) and check each file inside against the manifest')
    .option('--encryption-key-env <var>', 'with --deep: environment variable holding the archive secret')
    .option('--wal-storage <storage>', 'physical: where the WAL archive is, to check the WAL the backup needs (default: the saved storage of the backup)')
    .option('--json', 'machine-readable output')
    .action(async (archiveText: string, flags: { json?: boolean; trustUnsigned?: boolean; deep?: boolean; encryptionKeyEnv?: string; walStorage?: string }) => {
      await withLazyStore(async (lazy) => {
        const archive = await resolveArchive(archiveText, lazy);
        try {
          const result = await verifyArchive(archive.location, { trust: await lazy.trust(flags.trustUnsigned === true) });
          let inside: PhysicalContentsResult | undefined;
          if (flags.deep && result.ok) {
            const key = result.manifest.encryption ? openArchiveKey(encryptionSecret(flags.encryptionKeyEnv, archive.saved), result.manifest.encryption, result.archive) : undefined;
            inside = await verifyPhysicalContents(archive.location, result.manifest, key);
          }
          if (inside && !inside.ok) {
            if (flags.json) json({ ok: false, archive: result.archive, signature: result.signature, inside });
            else console.log(`CORRUPT inside: ${inside.problems.slice(0, 20).join('; ')}`);
            throw new PgferryError('PGF_ARCHIVE_CORRUPT', `${result.archive}: ${inside.problems.length} file(s) inside do not match the manifest; first: ${inside.problems[0] ?? ''}`);
          }
          const wal = result.ok ? await checkWal(result.manifest, archive, archiveText, flags.walStorage, lazy) : undefined;
          const ok = result.ok && wal?.check.ok !== false;
          if (archive.backupId) await recordVerify((await lazy.get()).store.db, archive.backupId, ok);
          if (flags.json) {
            json({ ok, archive: result.archive, signature: result.signature, checked_bytes: result.checkedBytes, files: result.files, backup_id: archive.backupId ?? null, ...(inside ? { inside } : {}), ...(wal ? { wal: walJson(wal.check, wal.where) } : {}) });
          } else if (result.ok) {
            console.log(`ok: signature ${result.signature}; ${result.files.length} files, ${result.checkedBytes} bytes match ${result.archive}/manifest.json`);
            if (inside) console.log(`ok: ${inside.files} files inside (${inside.bytes} bytes) match their SHA-256 in the manifest`);
            if (wal) console.log(describeBackupWal(wal.check, wal.where));
          }
          else {
            const corrupt = result.files.filter((f) => !f.ok);
            console.log(corrupt.length > 0 ? `CORRUPT: ${corrupt.map((f) => `${f.path} (${f.reason ?? ''})`).join(', ')}` : `REFUSED: signature ${result.signature}`);
          }
          if (result.error) throw result.error;
          if (wal && !wal.check.ok) {
            throw new PgferryError('PGF_WAL_SEGMENT_MISSING', `${result.archive}: the backup needs WAL ${wal.check.startLsn} → ${wal.check.endLsn} of system ${wal.check.systemId}, but segment ${wal.check.missing ?? ''} is not in ${wal.where}; the backup cannot be restored until that segment is put back (or take a new base backup)`);
          }
        } finally {
          await archive.location.storage.close();
        }
      });
    });
}

/**
 * A `--wal archive` physical backup restores only with its WAL from the archive, so verify
 * checks that chain too (and any physical backup when --wal-storage is given).
 */
async function checkWal(manifest: Manifest, archive: ResolvedArchive, archiveText: string, walStorageText: string | undefined, lazy: LazyStore): Promise<{ check: BackupWalCheck; where: string } | undefined> {
  const physical = manifest.physical;
  if (!physical || (physical.wal === 'included' && walStorageText === undefined)) return undefined;
  const text = walStorageText ?? archive.saved?.name;
  if (text === undefined) {
    throw new PgferryError('PGF_VALIDATION_FAILED', `${archiveText}: the backup was taken with --wal archive, so verify must check its WAL, but it is not in a saved storage; name where the WAL archive is with --wal-storage (the directory or s3:// URL holding wal/)`);
  }
  const resolved = await resolveStorage(text, lazy);
  try {
    return { check: await checkBackupWal(resolved.storage, physical), where: resolved.storage.describe() };
  } finally {
    await resolved.storage.close();
  }
}

function walJson(check: BackupWalCheck, where: string) {
  return {
    ok: check.ok,
    storage: where,
    system_id: check.systemId,
    start_lsn: check.startLsn,
    end_lsn: check.endLsn,
    missing: check.missing ?? null,
    chain_end: check.chainEnd,
    segments: check.chain.segments,
    beyond_end_bytes: check.beyondEndBytes,
    later_hole: check.laterHole ? { first_missing: check.laterHole.firstMissing, resumes_at: check.laterHole.resumesAt ?? null } : null,
  };
}
