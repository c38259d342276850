import { randomBytes } from 'node:crypto';
import path from 'node:path';

import type { Kysely } from 'kysely';
import { afterAll, beforeAll } from 'vitest';

import { LocalStorage } from '../../src/engine/storage/local-storage.js';
import { parseLsn, parseSegmentName } from '../../src/engine/wal/lsn.js';
import { listWalFiles } from '../../src/engine/wal/wal-archive.js';
import { createConnection } from '../../src/jobs/connection-service.js';
import { createStorage } from '../../src/jobs/storage-service.js';
import { keyFromBytes } from '../../src/secrets/encryption-key.js';
import { SecretBox } from '../../src/secrets/secret-box.js';
import { createStoreDatabase } from '../../src/store/create-database.js';
import type { StoreDatabase } from '../../src/store/store-types.js';
import { trackResource } from '../helpers/leak-check.js';
import { type TestCluster, startCluster } from '../helpers/pg-cluster.js';
import { createTestDatabase } from '../helpers/test-database.js';
import { removeDir, scratchDir, withClient } from '../wal/wal-fixtures.js';

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

export interface StoreAndCluster {
  readonly cluster: TestCluster;
  /** Scratch directory of the file, removed after it. */
  readonly home: string;
  /** Environment for `pgferry` subprocesses: the store, its key and a PGFERRY_HOME under `home`. */
  readonly env: Record<string, string>;
  readonly store: ReturnType<typeof createStoreDatabase>;
  readonly secrets: SecretBox;
}

/**
 * A test file's world for protection tests without an API: a migrated throw-away store, a
 * PostgreSQL 17 cluster and a scratch home, made before the file's tests and removed after.
 */
export function useStoreAndCluster(tag: string): StoreAndCluster {
  const key = randomBytes(32);
  let world: StoreAndCluster | undefined;
  let release = () => undefined as unknown;
  beforeAll(async () => {
    const storeDb = await createTestDatabase({ prefix: `pgferry_${tag.replaceAll('-', '_')}` });
    const store = createStoreDatabase({ connectionString: storeDb.url, poolMax: 2 });
    release = trackResource('store pool', () => store.close());
    const cluster = await startCluster({ major: 17 });
    const home = await scratchDir(`pgferry-${tag}-`);
    const env = { DATABASE_URL: storeDb.url, PGFERRY_ENCRYPTION_KEY: key.toString('hex'), PGFERRY_HOME: path.join(home, 'home') };
    world = { cluster, home, env, store, secrets: new SecretBox(keyFromBytes(key)) };
  });
  afterAll(async () => {
    release();
    await world?.store.close();
    await world?.cluster.stop();
    if (world) await removeDir(world.home);
  });
  const ready = (): StoreAndCluster => {
    if (!world) throw new Error('the protection test world is made in beforeAll');
    return world;
  };
  return {
    get cluster() { return ready().cluster; },
    get home() { return ready().home; },
    get env() { return ready().env; },
    get store() { return ready().store; },
    get secrets() { return ready().secrets; },
  };
}
