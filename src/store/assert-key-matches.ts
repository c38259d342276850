import type { Kysely } from 'kysely';

import { PgferryError } from '../errors/pgferry-error.js';
import type { StoreDatabase } from './store-types.js';
import { readStoredSecrets } from './secret-columns.js';
import { type SecretBox, secretKeyId } from '../secrets/secret-box.js';

/**
 * Refuses to start when stored secrets were sealed with another key: better one clear
 * message at start than a failure at the first job that needs a password.
 */
export async function assertKeyMatchesStoredSecrets(db: Kysely<StoreDatabase>, secrets: SecretBox): Promise<void> {
  const stored = await readStoredSecrets(db);
  const byKey = new Map<string, number>();
  for (const secret of stored) {
    const keyId = secretKeyId(secret.sealed) ?? 'unknown (unreadable format)';
    if (keyId !== secrets.keyId) byKey.set(keyId, (byKey.get(keyId) ?? 0) + 1);
  }
  if (byKey.size === 0) return;
  const parts = [...byKey].map(([keyId, count]) => `${count} secret${count === 1 ? ' was' : 's were'} encrypted with key id ${keyId}`);
  throw new PgferryError(
    'PGF_SECRET_KEY_MISMATCH',
    `${parts.join('; ')}; the configured key is ${secrets.keyId}. Set PGFERRY_ENCRYPTION_KEY (or $PGFERRY_HOME/secret.key) to the key they were saved with; to move to a new key, run \`pgferry keys rotate\` with the old key configured`,
    { details: { storedKeyIds: Object.fromEntries(byKey), configuredKeyId: secrets.keyId } },
  );
}
