import { type Kysely, sql } from 'kysely';

import type { StoreDatabase } from './store-types.js';

/**
 * Every column of the metadata store that holds a SecretBox ciphertext. Key rotation and the
 * start-up key check walk this list: a feature that adds a secret column adds it here. All
 * are sealed with the default (empty) associated data.
 */
export const secretColumns = [
  { table: 'connections', column: 'password_encrypted', owner: 'connection' },
  { table: 'storages', column: 'secret_encrypted', owner: 'storage' },
  { table: 'notification_channels', column: 'secret_encrypted', owner: 'notification channel' },
  // A TOTP row is named after its user (its id is the user's id).
  { table: 'user_totp', column: 'secret_encrypted', owner: "user's TOTP", nameSql: '(SELECT username FROM users WHERE users.id = user_totp.id)' },
] as const satisfies readonly { table: keyof StoreDatabase; column: string; owner: string; nameSql?: string }[];

export type SecretColumn = (typeof secretColumns)[number];

export interface StoredSecret {
  column: SecretColumn;
  id: string;
  name: string;
  sealed: string;
}

/** Every stored secret (`forUpdate` locks the rows: use it inside the rotation transaction). */
export async function readStoredSecrets(db: Kysely<StoreDatabase>, options: { forUpdate?: boolean } = {}): Promise<StoredSecret[]> {
  const secrets: StoredSecret[] = [];
  for (const column of secretColumns) {
    // Table and column names come from the constant list above, never from input.
    const name = 'nameSql' in column ? sql.raw(column.nameSql) : sql.ref('name');
    const rows = await sql<{ id: string; name: string; sealed: string }>`
      SELECT id, ${name} AS name, ${sql.ref(column.column)} AS sealed FROM ${sql.table(column.table)}
       WHERE ${sql.ref(column.column)} IS NOT NULL ORDER BY id ${options.forUpdate ? sql`FOR UPDATE` : sql``}`.execute(db);
    for (const row of rows.rows) secrets.push({ column, id: row.id, name: row.name, sealed: row.sealed });
  }
  return secrets;
}
