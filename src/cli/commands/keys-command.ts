import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

import type { Command } from 'commander';

import { decodeKey } from '../../config/config-schema.js';
import { PgferryError } from '../../errors/pgferry-error.js';
import { keyFromBytes, resolveEncryptionKey } from '../../secrets/encryption-key.js';
import { rotateEncryptionKey } from '../../store/rotate-encryption-key.js';
import { SecretBox } from '../../secrets/secret-box.js';
import { openStore } from '../../store/open-store.js';
import { createCliContext } from '../cli-context.js';

async function newKeyFrom(options: { newKeyFile?: string }): Promise<Buffer | undefined> {
  let text: string | undefined;
  let origin: string;
  if (options.newKeyFile !== undefined) {
    origin = `--new-key-file ${options.newKeyFile}`;
    try {
      text = (await readFile(options.newKeyFile, 'utf8')).trim();
    } catch (error) {
      throw new PgferryError('PGF_VALIDATION_FAILED', `${origin}: cannot read the file (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  } else {
    origin = 'PGFERRY_NEW_ENCRYPTION_KEY';
    text = process.env.PGFERRY_NEW_ENCRYPTION_KEY?.trim() || undefined;
  }
  if (text === undefined) return undefined;
  const key = decodeKey(text);
  if (key === undefined) {
    throw new PgferryError('PGF_VALIDATION_FAILED', `${origin}: expected 32 bytes as 64 hex characters or base64 (generate one with \`openssl rand -hex 32\`)`);
  }
  return key;
}

/** `pgferry keys …`: the encryption key of stored secrets. */
export function registerKeysCommand(program: Command): void {
  const keys = program.command('keys').description('Manage the key that encrypts stored secrets (PGFERRY_ENCRYPTION_KEY)');

  keys
    .command('id')
    .description('Print the id (fingerprint) of the configured key; every stored secret carries the id of its key')
    .action(async () => {
      const { config } = createCliContext();
      console.log((await resolveEncryptionKey(config)).id);
    });

  keys
    .command('rotate')
    .description(
      'Re-encrypt every stored secret (connections, storages, notification channels) under a new key, in one transaction. ' +
        'Give the new key with --new-key-file or PGFERRY_NEW_ENCRYPTION_KEY (in embedded mode one is generated when neither is given). ' +
        'Stop other pgferry processes first.',
    )
    .option('--new-key-file <file>', 'file holding the new key (64 hex characters or base64)')
    .option('--json', 'machine-readable output')
    .action(async (options: { newKeyFile?: string; json?: boolean }) => {
      const { config, logger } = createCliContext();
      const current = new SecretBox(await resolveEncryptionKey(config, logger));
      // Embedded mode without an explicit key keeps its key in $PGFERRY_HOME/secret.key.
      const keyFile = config.PGFERRY_ENCRYPTION_KEY === undefined ? path.join(config.PGFERRY_HOME, 'secret.key') : undefined;
      let newKey = await newKeyFrom(options);
      if (newKey === undefined) {
        if (keyFile === undefined) {
          throw new PgferryError(
            'PGF_VALIDATION_FAILED',
            'no new key given: put one in a file and pass --new-key-file FILE, or set PGFERRY_NEW_ENCRYPTION_KEY (generate one with `openssl rand -hex 32`)',
          );
        }
        newKey = randomBytes(32);
      }
      const next = new SecretBox(keyFromBytes(newKey));
      if (next.keyId === current.keyId) {
        throw new PgferryError('PGF_VALIDATION_FAILED', `the new key is the configured key (key id ${current.keyId}); give a different key`);
      }

      // The new key reaches disk before the commit, so no moment exists where the store is
      // under a key that is written nowhere.
      const pendingFile = keyFile === undefined ? undefined : `${keyFile}.new`;
      if (pendingFile !== undefined) await writeFile(pendingFile, `${newKey.toString('hex')}\n`, { mode: 0o600 });
      const store = await openStore({ config, schema: config.PGFERRY_SCHEMA_MODE === 'auto' ? 'migrate' : 'check' });
      let result;
      try {
        result = await rotateEncryptionKey(store.db, current, next);
      } catch (error) {
        if (pendingFile !== undefined) await rm(pendingFile, { force: true });
        throw error;
      } finally {
        await store.close();
      }
      if (pendingFile !== undefined && keyFile !== undefined) {
        if (existsSync(keyFile)) await rename(keyFile, `${keyFile}.old-${current.keyId}`);
        await rename(pendingFile, keyFile);
      }

      if (options.json) return console.log(JSON.stringify({ ...result, keyFile: keyFile ?? null }, null, 2));
      const counts = Object.entries(result.rotated).map(([table, count]) => `${table} ${count}`).join(', ');
      console.log(`re-encrypted ${result.total} secret(s) (${counts}) from key ${result.oldKeyId} to key ${result.newKeyId}, in one transaction.`);
      if (keyFile !== undefined) {
        console.log(`${keyFile} now holds the new key; the old one was kept as ${keyFile}.old-${current.keyId}: delete it once pgferry starts cleanly.`);
      } else {
        console.log(
          `Now set PGFERRY_ENCRYPTION_KEY to the new key (key id ${result.newKeyId}) for every pgferry process and restart them; ` +
            'a process still using the old key refuses to start with a key-mismatch message.',
        );
      }
    });
}
