import { type Kysely, sql } from 'kysely';

import { PgferryError } from '../errors/pgferry-error.js';
import type { StoreDatabase } from './store-types.js';
import { readStoredSecrets, secretColumns } from './secret-columns.js';
import { type SecretBox, secretKeyId } from '../secrets/secret-box.js';

export interface RotationResult {
  oldKeyId: string;
  newKeyId: string;
  /** Secrets re-encrypted, per table. */
  rotated: Record<string, number>;
  total: number;
}

/**
 * Re-encrypts every stored secret from `current` to `next` in one transaction: either all
 * secrets move to the new key or none do. The secret tables are locked against writers for
 * the duration (readers go on), so nothing sealed with the old key slips in meanwhile.
 */
export async function rotateEncryptionKey(db: Kysely<StoreDatabase>, current: SecretBox, next: SecretBox): Promise<RotationResult> {
  if (current.keyId === next.keyId) {
    throw new PgferryError('PGF_VALIDATION_FAILED', `the new key is the configured key (key id ${current.keyId}); give a different key`);
  }
  return db.transaction().execute(async (tx) => {
    for (const { table } of secretColumns) await sql`LOCK TABLE ${sql.table(table)} IN EXCLUSIVE MODE`.execute(tx);
    const stored = await readStoredSecrets(tx, { forUpdate: true });
    const foreign = stored.filter((secret) => secretKeyId(secret.sealed) !== current.keyId);
    if (foreign.length > 0) {
      const first = foreign[0] as (typeof foreign)[number];
      throw new PgferryError(
        'PGF_SECRET_KEY_MISMATCH',
        `${foreign.length} secret(s) were not encrypted with the configured key ${current.keyId} (e.g. ${first.column.owner} "${first.name}", key id ${secretKeyId(first.sealed) ?? 'unknown'}); nothing was changed: configure the key they were saved with, then rotate`,
      );
    }
    const rotated: Record<string, number> = Object.fromEntries(secretColumns.map((column) => [column.table, 0]));
    for (const secret of stored) {
      // Opening authenticates each ciphertext: a tampered one aborts the whole rotation.
      const plaintext = current.open(secret.sealed, `${secret.column.owner} "${secret.name}"`);
      await sql`UPDATE ${sql.table(secret.column.table)} SET ${sql.ref(secret.column.column)} = ${next.seal(plaintext)}
                 WHERE id = ${secret.id}`.execute(tx);
      rotated[secret.column.table] = (rotated[secret.column.table] ?? 0) + 1;
    }
    return { oldKeyId: current.keyId, newKeyId: next.keyId, rotated, total: stored.length };
  });
}
