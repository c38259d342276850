import { execFile } from 'node:child_process';
import { chmod, chown, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { runBackup } from '../../src/engine/backup/run-backup.js';
import { verifyPhysicalContents } from '../../src/engine/physical/verify-physical-contents.js';
import { LocalStorage } from '../../src/engine/storage/local-storage.js';
import { connectionConfigFromUrl } from '../../src/engine/connection-config.js';
import { testSigningKey } from '../helpers/archive-trust.js';
import { type TestCluster, startCluster } from '../helpers/pg-cluster.js';
import { postgresOwner } from '../helpers/start-data-dir.js';
import { withClient } from './physical-fixtures.js';

let cluster: TestCluster;
let home: string;

beforeAll(async () => {
  home = await mkdtemp(path.join(os.tmpdir(), 'pgferry-physical-tls-'));
  const cert = path.join(home, 'server.crt');
  const key = path.join(home, 'server.key');
  await promisify(execFile)('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-keyout', key, '-out', cert]);
  await chmod(key, 0o600);
  await chmod(home, 0o711);
  const owner = await postgresOwner();
  if (owner) {
    await chown(key, owner.uid, owner.gid);
    await chown(cert, owner.uid, owner.gid);
  }
  cluster = await startCluster({ major: 17, settings: { ssl: 'on', ssl_cert_file: cert, ssl_key_file: key } });
});

afterAll(async () => {
  await cluster?.stop();
  if (home) await rm(home, { recursive: true, force: true });
});

describe('physical backups over TLS (PostgreSQL 17)', () => {
  it('reads BASE_BACKUP off the TLS socket as off a plain one', async () => {
    const url = `${cluster.url()}?sslmode=require`;
    await withClient(cluster.url(), (client) => client.query('CREATE TABLE t AS SELECT g, md5(g::text) AS h FROM generate_series(1, 50000) g'));
    const storage = new LocalStorage(path.join(home, 'storage'));
    const result = await runBackup({ source: connectionConfigFromUrl(url), storage, format: 'physical', compression: 'none', signingKey: testSigningKey });
    const manifest = result.archives[0]!.manifest;
    expect(manifest.physical!.contents.length).toBeGreaterThan(500);
    const inside = await verifyPhysicalContents({ storage, path: result.path }, manifest, undefined);
    expect(inside).toMatchObject({ ok: true, problems: [] });
    // The same config really encrypts (pg's own URL parsing would verify the self-signed certificate).
    const client = new pg.Client(connectionConfigFromUrl(url));
    await client.connect();
    try {
      expect((await client.query<{ ssl: boolean }>('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()')).rows[0]?.ssl).toBe(true);
    } finally {
      await client.end();
    }
  });
});
