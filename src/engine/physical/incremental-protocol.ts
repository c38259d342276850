import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import copyStreams from 'pg-copy-streams';

import { PgferryError } from '../../errors/pgferry-error.js';
import type { ReplicationSession } from './replication-client.js';

/** The first server that takes UPLOAD_MANIFEST and BASE_BACKUP ( INCREMENTAL ). */
export const incrementalServerVersionNum = 170000;

/**
 * An incremental backup needs PostgreSQL 17+ and the WAL summarizer (`summarize_wal = on`):
 * the server finds the changed blocks in its WAL summaries. Checked before anything is sent.
 */
export async function assertIncrementalServer(session: Pick<ReplicationSession, 'client' | 'serverVersion' | 'serverVersionNum'>, server: string): Promise<void> {
  if (session.serverVersionNum < incrementalServerVersionNum) {
    throw new PgferryError(
      'PGF_INCREMENTAL_UNAVAILABLE',
      `${server} runs PostgreSQL ${session.serverVersion}; incremental base backups need PostgreSQL 17 or later — take a full backup (without --incremental)`,
    );
  }
  const setting = await session.client.query<{ summarize_wal: string }>('SHOW summarize_wal');
  if (setting.rows[0]?.summarize_wal !== 'on') {
    throw new PgferryError(
      'PGF_INCREMENTAL_UNAVAILABLE',
      `${server} has summarize_wal = ${setting.rows[0]?.summarize_wal ?? 'off'}; an incremental backup needs the WAL summaries it writes — set summarize_wal = on (ALTER SYSTEM SET summarize_wal = on; SELECT pg_reload_conf()), then take a full backup: only WAL summarized after it counts`,
    );
  }
}

/**
 * UPLOAD_MANIFEST: the parent's backup_manifest goes to the server as one COPY IN on the
 * replication connection; the BASE_BACKUP ( INCREMENTAL ) that follows on the same
 * connection sends only what changed since that manifest's backup.
 */
export async function uploadManifest(session: ReplicationSession, manifest: Buffer, parent: string): Promise<void> {
  try {
    await pipeline(Readable.from([manifest]), session.client.query(copyStreams.from('UPLOAD_MANIFEST')));
  } catch (error) {
    const server = error as { message: string; code?: string };
    throw new PgferryError(
      'PGF_BACKUP_CHAIN_BROKEN',
      `the server refused the backup_manifest of ${parent} as the base of an incremental backup: ${server.message}${server.code ? ` [SQLSTATE ${server.code}]` : ''}; take a full backup (without --incremental) and base later incrementals on it`,
      { cause: error },
    );
  }
}
