import { createHash } from 'node:crypto';
import path from 'node:path';

import type { Command } from 'commander';

import { type Compression, compressions } from '../../engine/archive/compression.js';
import { describeTarget } from '../../engine/connection-config.js';
import { errorCodes } from '../../errors/error-codes.js';
import { PgferryError } from '../../errors/pgferry-error.js';
import { type LazyStore, type ResolvedStorage, encryptionSecret, json, resolveConnection, resolveStorage, withLazyStore } from './backup-cli-support.js';

interface StoreFlags {
  storage: string;
  compress: string;
  encrypt?: boolean;
  encryptionKeyEnv?: string;
  systemId?: string;
}

/** WAL sits at the storage's root (`wal/<system id>/…`), so a path inside a saved storage is refused. */
async function walStorage(text: string, lazy: LazyStore): Promise<ResolvedStorage> {
  const resolved = await resolveStorage(text, lazy);
  if (resolved.path !== '') {
    await resolved.storage.close();
    throw new PgferryError('PGF_VALIDATION_FAILED', `WAL is kept under wal/ at the root of a storage; give the storage "${text.slice(0, text.indexOf(':'))}" without a path`);
  }
  return resolved;
}

function storeOptions(flags: StoreFlags, resolved: ResolvedStorage) {
  if (!compressions.includes(flags.compress as Compression)) throw new PgferryError('PGF_VALIDATION_FAILED', `--compress: expected gzip, zstd or none, got "${flags.compress}"`);
  const secret = flags.encrypt ? encryptionSecret(flags.encryptionKeyEnv, resolved.saved) : undefined;
  if (flags.encrypt && !secret) {
    throw new PgferryError('PGF_ENCRYPTION_KEY_REQUIRED', '--encrypt needs a secret: set PGFERRY_BACKUP_KEY, pass --encryption-key-env VAR, or give the storage an encryption secret');
  }
  return { compression: flags.compress as Compression, encryptionSecret: secret };
}

const systemIdFlag = (value: string) => {
  if (!/^\d{1,20}$/.test(value)) throw new PgferryError('PGF_VALIDATION_FAILED', '--system-id: expected the decimal database system identifier (pg_controldata)');
  return value;
};

export function registerWalCommand(program: Command): void {
  const wal = program.command('wal').description('Continuous WAL archiving: stream from a server, or push/fetch for archive_command/restore_command');

  wal
    .command('stream')
    .description('Stream WAL through a replication slot into storage until Ctrl-C / SIGTERM')
    .requiredOption('--from <url|name>', 'source server (postgres:// URL or saved connection; its role needs REPLICATION)')
    .requiredOption('--to <storage>', 'directory, s3://bucket/prefix or saved storage')
    .option('--slot <name>', 'physical replication slot (default: derived from the connection and storage)')
    .option('--spool-dir <dir>', 'local directory where segments are assembled (default: $PGFERRY_HOME/wal-spool)')
    .option('--compress <kind>', 'gzip, zstd or none', 'gzip')
    .option('--encrypt', 'encrypt every WAL file (secret: --encryption-key-env, PGFERRY_BACKUP_KEY or the storage)')
    .option('--encryption-key-env <var>', 'environment variable holding the encryption secret')
    .option('--json', 'progress and result as JSON lines')
    .action(async (flags: Omit<StoreFlags, 'storage'> & { from: string; to: string; slot?: string; spoolDir?: string; json?: boolean }) => {
      await withLazyStore(async (lazy) => {
        const source = await resolveConnection(flags.from, lazy);
        const destination = await walStorage(flags.to, lazy);
        const options = storeOptions({ ...flags, storage: flags.to }, destination);
        const { streamWal } = await import('../../engine/wal/wal-streamer.js');
        const { walSlotName } = await import('../../engine/wal/replication-session.js');
        const slot = flags.slot ?? walSlotName(source.id ?? createHash('sha256').update(`${describeTarget(source.config)} ${destination.storage.describe()}`).digest('hex').slice(0, 16));
        const controller = new AbortController();
        const stop = () => controller.abort();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
        let lastPrinted = 0;
        try {
          const result = await streamWal({
            source: source.config,
            storage: destination.storage,
            slot,
            spoolDir: path.resolve(flags.spoolDir ?? path.join(process.env.PGFERRY_HOME ?? '.pgferry', 'wal-spool')),
            ...options,
            signal: controller.signal,
            onEvent: (event) => {
              if (flags.json) console.log(JSON.stringify(event));
              else if (event.type === 'stream:start') process.stderr.write(`streaming WAL of system ${event.systemId} (timeline ${event.timeline}) from ${event.start} through slot ${event.slot}\n`);
              else if (event.type === 'wal:gap') process.stderr.write(`WAL GAP: segments ${event.first} through ${event.last} were lost before they could be stored (the slot was dropped or lost); restores cannot cross them — take a new base backup\n`);
              else if (event.type === 'timeline:end') process.stderr.write(`timeline ${event.timeline} ended at ${event.at}; following the next timeline\n`);
              else process.stderr.write(`${event.type === 'segment:uploaded' ? 'uploaded' : 'already stored'} ${event.file}\n`);
            },
            onProgress: (progress) => {
              if (Date.now() - lastPrinted < 10_000) return;
              lastPrinted = Date.now();
              if (flags.json) console.log(JSON.stringify({ type: 'progress', ...progress }));
              else process.stderr.write(`received ${progress.receivedLsn}, uploaded ${progress.uploadedLsn}, lag ${progress.lagBytes} bytes / ${progress.lagSeconds.toFixed(1)} s\n`);
            },
          });
          if (flags.json) console.log(JSON.stringify({ type: 'result', ...result }));
          else console.log(`stopped: ${result.segmentsUploaded} segments uploaded, WAL in storage up to ${result.uploadedLsn}`);
          // Protection went on after a gap, but the run did not keep every segment: not a success.
          if (result.gaps.length > 0) process.exitCode = errorCodes.PGF_WAL_SEGMENT_MISSING.exit;
        } finally {
          process.removeListener('SIGINT', stop);
          process.removeListener('SIGTERM', stop);
          await destination.storage.close();
        }
      });
    });

  wal
    .command('push')
    .description("Store one WAL file (archive_command = 'pgferry wal push %p --storage STORAGE'); exits non-zero on failure so PostgreSQL retries")
    .argument('<path>', 'the WAL file (%p)')
    .requiredOption('--storage <storage>', 'directory, s3://bucket/prefix or saved storage')
    .option('--compress <kind>', 'gzip, zstd or none', 'gzip')
    .option('--encrypt', 'encrypt (secret: --encryption-key-env, PGFERRY_BACKUP_KEY or the storage)')
    .option('--encryption-key-env <var>', 'environment variable holding the encryption secret')
    .option('--system-id <id>', 'the cluster system identifier (default: read from the file or ./global/pg_control)', systemIdFlag)
    .option('--json', 'machine-readable output')
    .action(async (walPath: string, flags: StoreFlags & { json?: boolean }) => {
      await withLazyStore(async (lazy) => {
        const resolved = await walStorage(flags.storage, lazy);
        try {
          const { pushWalFile } = await import('../../engine/wal/wal-push.js');
          const result = await pushWalFile(resolved.storage, walPath, { ...storeOptions(flags, resolved), systemId: flags.systemId });
          if (flags.json) json(result);
        } finally {
          await resolved.storage.close();
        }
      });
    });

  wal
    .command('fetch')
    .description("Write one stored WAL file (restore_command = 'pgferry wal fetch %f %p --storage STORAGE'); exits non-zero when it is not stored")
    .argument('<file>', 'the WAL file name (%f)')
    .argument('<path>', 'where to write it (%p)')
    .requiredOption('--storage <storage>', 'directory, s3://bucket/prefix or saved storage')
    .option('--encryption-key-env <var>', 'environment variable holding the encryption secret')
    .option('--system-id <id>', 'the cluster system identifier (default: read from ./global/pg_control)', systemIdFlag)
    .action(async (file: string, destination: string, flags: { storage: string; encryptionKeyEnv?: string; systemId?: string }) => {
      await withLazyStore(async (lazy) => {
        const resolved = await walStorage(flags.storage, lazy);
        try {
          const { fetchWal } = await import('../../engine/wal/wal-push.js');
          await fetchWal(resolved.storage, file, destination, { encryptionSecret: encryptionSecret(flags.encryptionKeyEnv, resolved.saved), systemId: flags.systemId });
        } finally {
          await resolved.storage.close();
        }
      });
    });
}
