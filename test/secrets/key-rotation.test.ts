import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { assertKeyMatchesStoredSecrets } from '../../src/store/assert-key-matches.js';
import { keyFromBytes } from '../../src/secrets/encryption-key.js';
import { rotateEncryptionKey } from '../../src/store/rotate-encryption-key.js';
import { SecretBox, secretKeyId } from '../../src/secrets/secret-box.js';
import { readStoredSecrets } from '../../src/store/secret-columns.js';
import { createConnection } from '../../src/jobs/connection-service.js';
import { loadConnectionTarget } from '../../src/store/connection-repository.js';
import { cliJson, runCli } from '../helpers/run-cli.js';
import { createTestStore } from '../helpers/test-database.js';

const newBox = () => new SecretBox(keyFromBytes(randomBytes(32)));

describe('SecretBox', () => {
  it('round-trips, tags the key id, and detects tampering and a wrong key', () => {
    const box = newBox();
    const sealed = box.seal('hunter2-secret');
    expect(secretKeyId(sealed)).toBe(box.keyId);
    expect(sealed).not.toContain('hunter2');
    expect(box.open(sealed, 'connection "x"')).toBe('hunter2-secret');

    const parts = sealed.split('.');
    const ciphertext = Buffer.from(parts[3] as string, 'base64url');
    ciphertext[0] = (ciphertext[0] as number) ^ 1;
    parts[3] = ciphertext.toString('base64url');
    expect(() => box.open(parts.join('.'), 'connection "x"')).toThrow(expect.objectContaining({ code: 'PGF_SECRET_TAMPERED' }));
    expect(() => newBox().open(sealed, 'connection "x"')).toThrow(expect.objectContaining({ code: 'PGF_SECRET_KEY_MISMATCH' }));
    expect(() => box.open('plain-text', 'connection "x"')).toThrow(expect.objectContaining({ code: 'PGF_SECRET_UNREADABLE' }));
  });
});

describe('key rotation and the start-up key check', () => {
  let store: Awaited<ReturnType<typeof createTestStore>>;

  beforeAll(async () => {
    store = await createTestStore();
  });

  afterAll(async () => {
    await store.close();
  });

  async function seed(box: SecretBox, suffix: string) {
    await createConnection(store.db, box, {
      name: `db-${suffix}`,
      fields: { host: 'h', port: 5432, database: 'd', user: 'u', sslmode: 'prefer', password: `conn-pass-${suffix}` },
    });
    await createConnection(store.db, box, { name: `nopass-${suffix}`, fields: { host: 'h', port: 5432, database: 'd', user: 'u', sslmode: 'prefer' } });
    await store.db.insertInto('storages').values({ name: `s3-${suffix}`, kind: 's3', config: {}, secret_encrypted: box.seal(`s3-secret-${suffix}`) }).execute();
    await store.db
      .insertInto('notification_channels')
      .values({ name: `hook-${suffix}`, kind: 'webhook', config: {}, secret_encrypted: box.seal(`hook-secret-${suffix}`) })
      .execute();
    const user = await store.db.insertInto('users').values({ username: `totp-${suffix}`, password_hash: 'x', role: 'viewer' }).returning('id').executeTakeFirstOrThrow();
    await store.db.insertInto('user_totp').values({ id: user.id, secret_encrypted: box.seal(`totp-secret-${suffix}`) }).execute();
  }

  const clear = async () => {
    await store.db.deleteFrom('connections').execute();
    await store.db.deleteFrom('storages').execute();
    await store.db.deleteFrom('notification_channels').execute();
    await store.db.deleteFrom('users').where('username', 'like', 'totp-%').execute();
  };

  it('re-encrypts every secret column under the new key; the old key is then refused at start', async () => {
    await clear();
    const oldBox = newBox();
    const nextBox = newBox();
    await seed(oldBox, 'a');
    await assertKeyMatchesStoredSecrets(store.db, oldBox);

    const result = await rotateEncryptionKey(store.db, oldBox, nextBox);
    expect(result).toEqual({
      oldKeyId: oldBox.keyId,
      newKeyId: nextBox.keyId,
      rotated: { connections: 1, storages: 1, notification_channels: 1, user_totp: 1 },
      total: 4,
    });
    const stored = await readStoredSecrets(store.db);
    expect(stored.map((secret) => secretKeyId(secret.sealed))).toEqual([nextBox.keyId, nextBox.keyId, nextBox.keyId, nextBox.keyId]);
    expect(stored.map((secret) => nextBox.open(secret.sealed, 'x')).sort()).toEqual(['conn-pass-a', 'hook-secret-a', 's3-secret-a', 'totp-secret-a']);
    // A TOTP secret is named after its user.
    expect(stored.find((secret) => secret.column.table === 'user_totp')?.name).toBe('totp-a');
    expect((await loadConnectionTarget(store.db, nextBox, 'db-a')).config.password).toBe('conn-pass-a');

    await assertKeyMatchesStoredSecrets(store.db, nextBox);
    await expect(assertKeyMatchesStoredSecrets(store.db, oldBox)).rejects.toMatchObject({
      code: 'PGF_SECRET_KEY_MISMATCH',
      message: expect.stringContaining(`4 secrets were encrypted with key id ${nextBox.keyId}; the configured key is ${oldBox.keyId}`),
    });
  });

  it('changes nothing when one secret is tampered with, or sealed under a third key', async () => {
    await clear();
    const oldBox = newBox();
    await seed(oldBox, 'b');
    const before = (await readStoredSecrets(store.db)).map((secret) => secret.sealed);

    const sealed = before[2] as string;
    const tampered = `${sealed.slice(0, -3)}${sealed.endsWith('AAA') ? 'BBB' : 'AAA'}`;
    await store.db.updateTable('notification_channels').set({ secret_encrypted: tampered }).execute();
    await expect(rotateEncryptionKey(store.db, oldBox, newBox())).rejects.toMatchObject({ code: 'PGF_SECRET_TAMPERED' });
    const afterTamper = (await readStoredSecrets(store.db)).map((secret) => secret.sealed);
    expect(afterTamper).toEqual([before[0], before[1], tampered, before[3]]);

    await store.db.updateTable('notification_channels').set({ secret_encrypted: newBox().seal('x') }).execute();
    await expect(rotateEncryptionKey(store.db, oldBox, newBox())).rejects.toMatchObject({
      code: 'PGF_SECRET_KEY_MISMATCH',
      message: expect.stringContaining('nothing was changed'),
    });
    expect((await readStoredSecrets(store.db)).slice(0, 2).map((secret) => secret.sealed)).toEqual(before.slice(0, 2));
    await expect(rotateEncryptionKey(store.db, oldBox, oldBox)).rejects.toMatchObject({ code: 'PGF_VALIDATION_FAILED' });
  });

  it('pgferry keys rotate (server mode), then serve/worker refuse the old key with one clear message', async () => {
    await clear();
    const oldHex = randomBytes(32).toString('hex');
    const newHex = randomBytes(32).toString('hex');
    const oldBox = new SecretBox(keyFromBytes(Buffer.from(oldHex, 'hex')));
    const nextBox = new SecretBox(keyFromBytes(Buffer.from(newHex, 'hex')));
    await seed(oldBox, 'c');
    const dir = await mkdtemp(path.join(os.tmpdir(), 'pgferry-keys-'));
    try {
      const keyFile = path.join(dir, 'new.key');
      await writeFile(keyFile, `${newHex}\n`, { mode: 0o600 });
      const env = { DATABASE_URL: store.url, PGFERRY_ENCRYPTION_KEY: oldHex };

      const missing = await runCli(['keys', 'rotate'], env);
      expect(missing.code).toBe(2);
      expect(missing.stderr).toContain('--new-key-file');

      const rotated = await runCli(['keys', 'rotate', '--new-key-file', keyFile], env);
      expect(rotated.stderr).toBe('');
      expect(rotated.code).toBe(0);
      expect(rotated.stdout).toContain(`re-encrypted 4 secret(s)`);
      expect(rotated.stdout).toContain('Now set PGFERRY_ENCRYPTION_KEY');
      expect(rotated.stdout).not.toContain(newHex);
      await assertKeyMatchesStoredSecrets(store.db, nextBox);

      for (const command of [['serve', '--port', '0'], ['worker']]) {
        const refused = await runCli(command, env);
        expect(refused.code).toBe(2);
        expect(refused.stderr).toContain(`4 secrets were encrypted with key id ${nextBox.keyId}; the configured key is ${oldBox.keyId}`);
      }

      const viaEnv = await runCli(['keys', 'rotate', '--json'], { ...env, PGFERRY_ENCRYPTION_KEY: newHex, PGFERRY_NEW_ENCRYPTION_KEY: oldHex });
      expect(viaEnv.code).toBe(0);
      expect(cliJson(viaEnv)).toMatchObject({ total: 4, newKeyId: oldBox.keyId });
      await assertKeyMatchesStoredSecrets(store.db, oldBox);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('pgferry keys rotate in embedded mode', () => {
  let home: string;

  beforeAll(async () => {
    home = await mkdtemp(path.join(os.tmpdir(), 'pgferry-embedded-keys-'));
  });

  afterAll(async () => {
    await rm(home, { recursive: true, force: true });
  });

  it('generates a new key, re-encrypts, and updates secret.key', async () => {
    const env = { PGFERRY_HOME: home };
    const added = await runCli(['connections', 'add', 'local', 'postgres://etl:embedded-secret@127.0.0.1:1/app'], env, { timeoutMs: 120_000 });
    expect(added.code).toBe(0);
    expect(added.stderr).not.toContain('embedded-secret');
    const keyFile = path.join(home, 'secret.key');
    const before = (await readFile(keyFile, 'utf8')).trim();

    const rotated = await runCli(['keys', 'rotate', '--json'], env, { timeoutMs: 120_000 });
    expect(rotated.code).toBe(0);
    const result = cliJson(rotated) as { total: number; oldKeyId: string; newKeyId: string; keyFile: string };
    expect(result).toMatchObject({ total: 1, keyFile });
    const after = (await readFile(keyFile, 'utf8')).trim();
    expect(after).not.toBe(before);
    expect(keyFromBytes(Buffer.from(after, 'hex')).id).toBe(result.newKeyId);
    expect(await readFile(`${keyFile}.old-${result.oldKeyId}`, 'utf8')).toContain(before);

    const id = await runCli(['keys', 'id'], env);
    expect(id.stdout.trim()).toBe(result.newKeyId);
    // The saved password still decrypts: the test reaches the (closed) port, not a key error.
    const tested = await runCli(['connections', 'test', 'local', '--timeout', '2000'], env, { timeoutMs: 120_000 });
    expect(tested.code).toBe(3);
    expect(tested.stderr).toContain('PGF_CONNECTION_REFUSED');
  });
});
