import type { Command } from 'commander';

import { openArchiveKey } from '../../engine/archive/encryption.js';
import { verifyArchive } from '../../engine/archive/verify-archive.js';
import { type ChainVerifyResult, loadBackupChain, verifyBackupChain } from '../../engine/physical/backup-chain.js';
import { type PhysicalContentsResult, verifyPhysicalContents } from '../../engine/physical/verify-physical-contents.js';
import { PgferryError } from '../../errors/pgferry-error.js';
import { recordVerify } from '../../store/backup-repository.js';
import { encryptionSecret, json, resolveArchive, resolveStorage, withLazyStore } from './backup-cli-support.js';
import { chainLocation } from './chain-location.js';
import { checkWalChain, walChainError } from './verify-wal-chain.js';

export function registerVerifyCommand(program: Command): void {
  program
    .command('verify')
    .description("Check an archive's signature and re-read every file's sha256 against its manifest")
    .argument('<archive>', 'archive directory, s3://bucket/prefix/archive, STORAGE:path or a backup id')
    .option('--trust-unsigned', 'pass an unsigned or foreign-signed archive whose files are intact')
    .option('--deep', 'physical backups: also read every archive (decrypted, decompressed) and check each file inside against the manifest')
    .option('--encryption-key-env <var>', 'with --deep: environment variable holding the archive secret')
    .option('--wal-storage <storage>', "physical backups: where their WAL is stored (directory, s3://…, or a saved STORAGE; default: the archive's own storage)")
    .option('--json', 'machine-readable output')
    .action(async (archiveText: string, flags: { json?: boolean; trustUnsigned?: boolean; deep?: boolean; encryptionKeyEnv?: string; walStorage?: string }) => {
      await withLazyStore(async (lazy) => {
        const archive = await resolveArchive(archiveText, lazy);
        const walPlace = flags.walStorage === undefined ? undefined : await resolveStorage(flags.walStorage, lazy);
        const chainPlace = chainLocation(archiveText, archive.location);
        try {
          const trust = await lazy.trust(flags.trustUnsigned === true);
          const result = await verifyArchive(archive.location, { trust });
          // An incremental backup restores only with its parents: each must be there and pass.
          const chain: ChainVerifyResult | undefined = result.ok && result.manifest.physical?.incremental ? await verifyBackupChain(chainPlace.location, { trust }) : undefined;
          if (chain && !chain.ok) {
            if (flags.json) json({ ok: false, archive: result.archive, signature: result.signature, chain });
            else console.log(`CHAIN BROKEN: ${chain.error?.message ?? ''}`);
            throw chain.error ?? new PgferryError('PGF_BACKUP_CHAIN_BROKEN', `${result.archive}: its chain of parent backups fails verify`);
          }
          let inside: PhysicalContentsResult | undefined;
          if (flags.deep && result.ok) {
            const secret = encryptionSecret(flags.encryptionKeyEnv, archive.saved);
            const links = chain ? await loadBackupChain(chainPlace.location, result.manifest, trust) : [{ location: archive.location, manifest: result.manifest }];
            for (const link of links) {
              const where = link.location.storage.describe(link.location.path);
              const key = link.manifest.encryption ? openArchiveKey(secret, link.manifest.encryption, where) : undefined;
              const checked = await verifyPhysicalContents(link.location, link.manifest, key);
              const problems = checked.problems.map((problem) => (links.length > 1 ? `${where}: ${problem}` : problem));
              inside = inside ? { ok: inside.ok && checked.ok, files: inside.files + checked.files, bytes: inside.bytes + checked.bytes, problems: [...inside.problems, ...problems] } : { ...checked, problems };
            }
          }
          if (inside && !inside.ok) {
            if (flags.json) json({ ok: false, archive: result.archive, signature: result.signature, inside });
            else console.log(`CORRUPT inside: ${inside.problems.slice(0, 20).join('; ')}`);
            throw new PgferryError('PGF_ARCHIVE_CORRUPT', `${result.archive}: ${inside.problems.length} file(s) inside do not match the manifest; first: ${inside.problems[0] ?? ''}`);
          }
          // A physical backup is only as good as the WAL after it: a hole is a failed verify.
          const wal = result.ok && result.manifest.physical ? await checkWalChain(walPlace ? { storage: walPlace.storage, path: walPlace.path } : archive.location, result.manifest.physical) : undefined;
          if (wal && !wal.ok) {
            if (flags.json) json({ ok: false, archive: result.archive, signature: result.signature, wal });
            else console.log(`WAL GAP: ${wal.message}`);
            throw walChainError(result.archive, wal);
          }
          if (archive.backupId) await recordVerify((await lazy.get()).store.db, archive.backupId, result.ok);
          if (flags.json) {
            json({ ok: result.ok, archive: result.archive, signature: result.signature, checked_bytes: result.checkedBytes, files: result.files, backup_id: archive.backupId ?? null, ...(inside ? { inside } : {}), ...(wal ? { wal } : {}), ...(chain ? { chain } : {}) });
          } else if (result.ok) {
            console.log(`ok: signature ${result.signature}; ${result.files.length} files, ${result.checkedBytes} bytes match ${result.archive}/manifest.json`);
            if (wal) console.log(`ok: ${wal.message}`);
            if (chain) console.log(`ok: incremental chain of ${chain.links.length} backups (${chain.links.map((link) => link.path).join(' → ')}) present and intact`);
            if (inside) console.log(`ok: ${inside.files} files inside (${inside.bytes} bytes) match their SHA-256 in the manifest`);
          }
          else {
            const corrupt = result.files.filter((f) => !f.ok);
            console.log(corrupt.length > 0 ? `CORRUPT: ${corrupt.map((f) => `${f.path} (${f.reason ?? ''})`).join(', ')}` : `REFUSED: signature ${result.signature}`);
          }
          if (result.error) throw result.error;
        } finally {
          await archive.location.storage.close();
          await chainPlace.close();
          await walPlace?.storage.close();
        }
      });
    });
}
