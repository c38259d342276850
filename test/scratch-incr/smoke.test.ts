import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { it, expect } from 'vitest';
import { runBackup } from '../../src/engine/backup/run-backup.js';
import { LocalStorage } from '../../src/engine/storage/local-storage.js';
import { testSigningKey } from '../helpers/archive-trust.js';
import { startCluster } from '../helpers/pg-cluster.js';
import { withClient } from '../physical/physical-fixtures.js';

it('smoke', async () => {
  const cluster = await startCluster({ major: 17, settings: { summarize_wal: 'on' } });
  try {
    const home = await mkdtemp(path.join(os.tmpdir(), 'incr-smoke-'));
    const storage = new LocalStorage(home);
    await withClient(cluster.url(), (c) => c.query("CREATE TABLE t AS SELECT g id, md5(g::text) v FROM generate_series(1,200000) g"));
    const full = await runBackup({ source: { connectionString: cluster.url() }, storage, format: 'physical', compression: 'gzip', signingKey: testSigningKey, path: 'full' });
    await withClient(cluster.url(), (c) => c.query("UPDATE t SET v = 'x' WHERE id < 100"));
    const inc = await runBackup({ source: { connectionString: cluster.url() }, storage, format: 'physical', compression: 'gzip', signingKey: testSigningKey, path: 'inc', incremental: true });
    console.log(full.archives[0]!.sizeBytes, inc.archives[0]!.sizeBytes, JSON.stringify(inc.archives[0]!.manifest.physical!.incremental));
    console.log(inc.archives[0]!.manifest.physical!.contents.filter((f) => f.path.includes('INCREMENTAL')).slice(0, 5));
    console.log('home', home);
    expect(1).toBe(1);
  } finally {
    await cluster.stop();
  }
}, 120000);
