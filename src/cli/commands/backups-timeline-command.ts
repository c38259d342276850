import type { Command } from 'commander';
import pg from 'pg';

import { errorCodes } from '../../errors/error-codes.js';
import { PgferryError } from '../../errors/pgferry-error.js';
import { json, resolveConnection, resolveStorage, withLazyStore } from './backup-cli-support.js';

async function systemIdOf(config: pg.ClientConfig): Promise<string> {
  const client = new pg.Client(config);
  await client.connect();
  try {
    return (await client.query<{ id: string }>('SELECT system_identifier::text AS id FROM pg_control_system()')).rows[0]?.id ?? '';
  } finally {
    await client.end();
  }
}

/** `backups timeline`: the restorable window of each physical base backup of one cluster; holes in the WAL are named (exit 4). */
export function registerBackupsTimelineCommand(backups: Command): void {
  backups
    .command('timeline')
    .description('The restorable window of each physical base backup: from its end through the unbroken WAL after it, gaps named')
    .requiredOption('--storage <storage>', 'directory, s3://bucket/prefix or saved storage holding the backups and wal/')
    .option('--from <url|name>', 'the cluster (its system identifier selects the backups and WAL)')
    .option('--system-id <id>', 'the cluster system identifier, instead of --from')
    .option('--json', 'machine-readable output')
    .action(async (flags: { storage: string; from?: string; systemId?: string; json?: boolean }) => {
      if ((flags.from === undefined) === (flags.systemId === undefined)) throw new PgferryError('PGF_VALIDATION_FAILED', 'timeline needs exactly one of --from CONNECTION or --system-id ID');
      await withLazyStore(async (lazy) => {
        const systemId = flags.systemId ?? (await systemIdOf((await resolveConnection(flags.from as string, lazy)).config));
        const resolved = await resolveStorage(flags.storage, lazy);
        try {
          const [{ listPhysicalBackups }, { restorableWindows }] = await Promise.all([import('../../engine/physical/list-physical-backups.js'), import('../../engine/wal/restorable-window.js')]);
          const windows = await restorableWindows(resolved.storage, await listPhysicalBackups(resolved.storage, { systemId, under: resolved.path || undefined }));
          if (flags.json) json({ systemId, windows });
          else if (windows.length === 0) console.log(`no physical base backup of system ${systemId} in ${resolved.storage.describe(resolved.path)}`);
          for (const window of flags.json ? [] : windows) {
            const state = window.unrestorable ? 'UNRESTORABLE' : `restorable ${window.consistentLsn} (${window.consistentAt}) → ${window.endLsn}`;
            console.log(`${window.backup}  timeline ${window.timeline}  ${state}${window.firstMissing ? `  first missing segment ${window.firstMissing}${window.resumesAt ? ` (WAL resumes at ${window.resumesAt})` : ''}` : ''}`);
          }
          // A hole or an unrestorable backup is not a success.
          if (windows.some((window) => window.unrestorable || window.resumesAt !== undefined)) process.exitCode = errorCodes.PGF_WAL_SEGMENT_MISSING.exit;
        } finally {
          await resolved.storage.close();
        }
      });
    });
}
