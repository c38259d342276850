import type { Kysely } from 'kysely';

import { LocalStorage } from '../../src/engine/storage/local-storage.js';
import { parseLsn, parseSegmentName } from '../../src/engine/wal/lsn.js';
import { listWalFiles } from '../../src/engine/wal/wal-archive.js';
import { createConnection } from '../../src/jobs/connection-service.js';
import { createStorage } from '../../src/jobs/storage-service.js';
import type { SecretBox } from '../../src/secrets/secret-box.js';
import type { StoreDatabase } from '../../src/store/store-types.js';
import type { TestCluster } from '../helpers/pg-cluster.js';
import { withClient } from '../wal/wal-fixtures.js';

/** A saved connection to the cluster (as its superuser, who may replicate) and a saved local storage. */
export async function saveProtectedPair(db: Kysely<StoreDatabase>, secrets: SecretBox, cluster: TestCluster, storagePath: string, tag: string) {
  const connection = await createConnection(db, secrets, {
    name: `protected-${tag}`,
    fields: { host: '127.0.0.1', port: cluster.port, database: 'postgres', user: 'postgres', password: cluster.password, sslmode: 'disable' },
  });
  const storage = await createStorage(db, secrets, { name: `wal-${tag}`, kind: 'local', config: { path: storagePath } }, { create: true });
  return { connection, storage };
}

/** Writes some rows (WAL) and, when asked, switches to a new segment; returns the LSN the WAL reached. */
export async function writeWal(cluster: TestCluster, rows: number, switchSegment: boolean): Promise<string> {
  return withClient(cluster.url(), async (client) => {
    await client.query('CREATE TABLE IF NOT EXISTS protection_load (id bigserial primary key, payload text)');
    await client.query(`INSERT INTO protection_load (payload) SELECT md5(g::text) FROM generate_series(1, ${rows}) g`);
    const query = switchSegment ? 'SELECT pg_switch_wal()::text AS lsn' : 'SELECT pg_current_wal_lsn()::text AS lsn';
    return (await client.query<{ lsn: string }>(query)).rows[0]!.lsn;
  });
}

/** Whether the stored progress says WAL up to `lsn` is in storage. */
export async function uploadedPast(db: Kysely<StoreDatabase>, connectionId: string, lsn: string): Promise<boolean> {
  const row = await db.selectFrom('connection_protection').select(['progress']).where('connection_id', '=', connectionId).executeTakeFirst();
  const uploaded = row?.progress?.uploaded_lsn;
  return typeof uploaded === 'string' && parseLsn(uploaded) >= parseLsn(lsn);
}

/** The stored segments of the one system in the storage, as numbers, sorted; with the names for messages. */
export async function storedSegments(storagePath: string): Promise<{ systemId: string; segments: bigint[]; names: string[] }> {
  const storage = new LocalStorage(storagePath);
  try {
    const systems = (await storage.list('wal/')).map((entry) => entry.path.split('/')[1]).filter((id): id is string => id !== undefined && /^\d+$/.test(id));
    const systemId = [...new Set(systems)][0];
    if (!systemId) return { systemId: '', segments: [], names: [] };
    const files = (await listWalFiles(storage, systemId)).filter((file) => /^[0-9A-F]{24}$/.test(file.file));
    const names = files.map((file) => file.file).sort();
    return { systemId, segments: names.map((name) => parseSegmentName(name, 16 * 1024 * 1024).segment), names };
  } finally {
    await storage.close();
  }
}

export async function slotExists(cluster: TestCluster, slot: string): Promise<boolean> {
  return withClient(cluster.url(), async (client) => (await client.query('SELECT 1 FROM pg_replication_slots WHERE slot_name = $1', [slot])).rowCount === 1);
}
