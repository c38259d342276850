import pg from 'pg';
import { describe, expect, it } from 'vitest';

import { clusterMajors, startCluster } from '../helpers/pg-cluster.js';

// The clusters the replication tests start: each major comes up with the settings asked for
// and accepts a replication connection.
describe('test clusters of other majors', () => {
  for (const major of clusterMajors) {
    it(`starts PostgreSQL ${major} with wal_level = logical and takes a replication connection`, async () => {
      const cluster = await startCluster({ major, settings: { wal_level: 'logical' } });
      try {
        const client = new pg.Client({ connectionString: cluster.url() });
        await client.connect();
        const version = await client.query<{ server_version_num: string }>('SHOW server_version_num');
        const walLevel = await client.query<{ wal_level: string }>('SHOW wal_level');
        await client.end();
        expect(Math.floor(Number(version.rows[0]!.server_version_num) / 10000)).toBe(major);
        expect(walLevel.rows[0]!.wal_level).toBe('logical');

        const replication = new pg.Client({ connectionString: cluster.url(), replication: 'database' } as pg.ClientConfig);
        await replication.connect();
        const system = await replication.query('IDENTIFY_SYSTEM');
        await replication.end();
        expect(system.rows[0]).toHaveProperty('systemid');
      } finally {
        await cluster.stop();
      }
    }, 120_000);
  }
});
