import pg from 'pg';

import { PgferryError } from '../../errors/pgferry-error.js';
import { explicitConfig } from '../backup/client-config.js';
import { describeTarget } from '../connection-config.js';
import { classifyConnectionError } from '../connection-test/classify-connection-error.js';

export interface ReplicationSession {
  client: pg.Client;
  serverVersion: string;
  serverVersionNum: number;
  /** pg_control's system identifier, as text (a uint64). */
  systemIdentifier: string;
  timeline: number;
  close(): Promise<void>;
  /** Drops the socket at once (abort): the server ends the walsender and its backup. */
  destroy(): void;
}

/** The oldest server BASE_BACKUP manifests (and this client) support. */
export const minimumServerVersionNum = 130000;

/**
 * A physical replication connection (`replication=true`), identified: pg does the startup,
 * TLS and authentication (trust, md5, SCRAM-SHA-256) exactly as for any other connection.
 */
export async function openReplicationSession(config: pg.ClientConfig): Promise<ReplicationSession> {
  const base = explicitConfig(config);
  const client = new pg.Client({ ...base, replication: true } as pg.ClientConfig);
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    const code = (error as { code?: string }).code;
    // Refusals of the replication part itself: the generic connection fix (GRANT CONNECT…) would mislead.
    if (code === '42501' || /WAL ?sender|replication/i.test((error as Error).message)) {
      throw new PgferryError(
        'PGF_CONNECTION_PRIVILEGE',
        `the server refused a replication connection to ${describeTarget(base)}: ${(error as Error).message}; a physical backup needs the REPLICATION attribute on the role (ALTER ROLE … REPLICATION) or superuser, and a "replication" line for this host in pg_hba.conf`,
        { cause: error },
      );
    }
    throw classifyConnectionError(error, base);
  }
  const close = async () => {
    await client.end().catch(() => undefined);
  };
  try {
    const version = await client.query<{ server_version_num: string }>('SHOW server_version_num');
    const name = await client.query<{ server_version: string }>('SHOW server_version');
    const serverVersionNum = Number(version.rows[0]?.server_version_num ?? 0);
    if (serverVersionNum < minimumServerVersionNum) {
      throw new PgferryError(
        'PGF_FEATURE_UNAVAILABLE',
        `PostgreSQL ${name.rows[0]?.server_version ?? serverVersionNum} is too old for a physical backup by pgferry (it needs 13 or later, for the server's backup manifest); use --format native or pg_basebackup`,
      );
    }
    const identity = await client.query<{ systemid: string; timeline: string }>('IDENTIFY_SYSTEM');
    const row = identity.rows[0];
    return {
      client,
      serverVersion: name.rows[0]?.server_version ?? '',
      serverVersionNum,
      systemIdentifier: String(row?.systemid ?? ''),
      timeline: Number(row?.timeline ?? 0),
      close,
      destroy: () => (client as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy(),
    };
  } catch (error) {
    await close();
    throw error instanceof PgferryError
      ? error
      : new PgferryError('PGF_BACKUP_FAILED', `the replication connection to ${String(base.host ?? '')} refused IDENTIFY_SYSTEM: ${(error as Error).message}`, { cause: error });
  }
}
