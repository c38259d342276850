import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';

import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { verifyArchive } from '../../src/engine/archive/verify-archive.js';
import { runBackup } from '../../src/engine/backup/run-backup.js';
import { runRestore } from '../../src/engine/restore/run-restore.js';
import { S3Storage } from '../../src/engine/storage/s3-storage.js';
import { createTestDatabase } from '../helpers/test-database.js';
import { configOf, fingerprint, scratchName } from './backup-fixtures.js';
import { startS3Server } from './s3-server.js';
import { testSigningKey, testTrust } from '../helpers/archive-trust.js';

let s3: Awaited<ReturnType<typeof startS3Server>>;
let storage: S3Storage;

beforeAll(async () => {
  s3 = await startS3Server();
  storage = new S3Storage({
    kind: 's3',
    bucket: 'pgferry-test',
    prefix: 'backups',
    region: 'us-east-1',
    endpoint: s3.endpoint,
    forcePathStyle: true,
    publicEndpoint: `http://localhost:${s3.port}`,
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
  });
});

afterAll(async () => {
  await storage.close();
  await s3.close();
});

describe('S3 storage', () => {
  it('creates the bucket, then probes it', async () => {
    expect((await storage.probe()).ok).toBe(false);
    expect(await storage.init()).toEqual({ created: true });
    expect(await storage.init()).toEqual({ created: false });
    const probe = await storage.probe();
    expect(probe).toMatchObject({ ok: true, wrote: true, bucketExists: true });
  });

  it('uploads in multipart streaming, lists, downloads, presigns on the public endpoint and deletes', async () => {
    const payload = randomBytes(12 * 1024 * 1024);
    // A generator, so the SDK cannot know the length up front: multipart it is.
    async function* chunks() {
      for (let offset = 0; offset < payload.length; offset += 1024 * 1024) yield payload.subarray(offset, offset + 1024 * 1024);
    }
    await storage.write('a1/big.bin', Readable.from(chunks()));
    await storage.write('a1/small.txt', Readable.from([Buffer.from('hello')]));
    const listed = await storage.list('a1');
    expect(listed.map((object) => [object.path, object.size])).toEqual([
      ['a1/big.bin', payload.length],
      ['a1/small.txt', 5],
    ]);
    const hash = createHash('sha256');
    for await (const chunk of await storage.read('a1/big.bin')) hash.update(chunk as Buffer);
    expect(hash.digest('hex')).toBe(createHash('sha256').update(payload).digest('hex'));

    const url = await storage.presign('a1/small.txt', 600);
    expect(url.startsWith(`http://localhost:${s3.port}/pgferry-test/backups/a1/small.txt?`)).toBe(true);
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('hello');

    expect(await storage.remove('a1')).toBe(2);
    expect(await storage.list('a1')).toEqual([]);
    expect(await storage.exists('a1/small.txt')).toBe(false);
  });

  it('backs up to S3, verifies and restores from it', async () => {
    const source = await createTestDatabase({ migrated: false, prefix: 'pgferry_bks3' });
    const client = new pg.Client({ connectionString: source.url });
    await client.connect();
    await client.query(`CREATE TABLE "Odd ""name"" t" (id int PRIMARY KEY, note text, at timestamptz);
      INSERT INTO "Odd ""name"" t" SELECT g, E'tab\\there ' || g, '2024-01-01'::timestamptz + g * interval '1 hour' FROM generate_series(1, 5000) g;`);
    await client.end();
    const result = await runBackup({ signingKey: testSigningKey, source: configOf(source.url), storage, path: 'db1', compression: 'gzip', encryptionSecret: 'k' });
    expect(result.archives[0]!.location).toBe('s3://pgferry-test/backups/db1');
    expect((await verifyArchive({ storage, path: 'db1' }, { trust: testTrust })).ok).toBe(true);
    const target = scratchName();
    await runRestore({ trust: testTrust, archive: { storage, path: 'db1' }, target: configOf(target.url), create: true, encryptionSecret: 'k' });
    expect(await fingerprint(target.url, ['public'])).toEqual(await fingerprint(source.url, ['public']));
  });
});
