import type { Kysely } from 'kysely';

import { type ConnectionFields, validateConnectionFields } from '../engine/connection-config.js';
import { PgferryError } from '../errors/pgferry-error.js';
import type { SecretBox } from '../secrets/secret-box.js';
import {
  type ConnectionRowValues,
  type ConnectionView,
  assertConnectionNameFree,
  getConnectionRow,
  insertConnectionRow,
  updateConnectionRow,
} from '../store/connection-repository.js';
import type { StoreDatabase } from '../store/store-types.js';

// The rules of a saved connection: its fields within the store's limits, a unique name, and
// its password sealed, kept or removed.

/** What a caller may set on a connection; `password` undefined keeps the stored one on update. */
export interface ConnectionInput {
  name: string;
  description?: string | null | undefined;
  protected?: boolean | undefined;
  tags?: string[] | undefined;
  /** Target fields; `password: undefined` keeps, `null` removes (update), a string replaces. */
  fields: Omit<ConnectionFields, 'password'> & { password?: string | null | undefined };
}

function rowValues(input: ConnectionInput): ConnectionRowValues {
  const fields = input.fields;
  validateConnectionFields({ ...fields, password: fields.password ?? undefined });
  const name = input.name.trim();
  if (name === '' || name.length > 100) {
    throw new PgferryError('PGF_VALIDATION_FAILED', 'name: expected 1 to 100 characters', { details: { fields: [{ field: 'name', code: 'length_1_100', message: 'expected 1 to 100 characters' }] } });
  }
  return {
    name,
    description: input.description ?? null,
    host: fields.host,
    port: fields.port,
    database: fields.database,
    username: fields.user,
    sslmode: fields.sslmode,
    application_name: fields.application_name ?? null,
    connect_timeout_s: fields.connect_timeout ?? null,
    options: fields.options ?? null,
    protected: input.protected ?? false,
    tags: input.tags ?? [],
  };
}

export async function createConnection(db: Kysely<StoreDatabase>, secrets: SecretBox, input: ConnectionInput): Promise<ConnectionView> {
  const values = rowValues(input);
  await assertConnectionNameFree(db, values.name);
  const password = input.fields.password;
  return insertConnectionRow(db, values, password == null ? null : secrets.seal(password));
}

/** Replaces a connection's settings; a missing password keeps the stored one, `null` removes it. */
export async function updateConnection(db: Kysely<StoreDatabase>, secrets: SecretBox, idOrName: string, input: ConnectionInput): Promise<ConnectionView> {
  const current = await getConnectionRow(db, idOrName);
  const values = rowValues(input);
  await assertConnectionNameFree(db, values.name, current.id);
  const password = input.fields.password;
  return updateConnectionRow(db, current.id, values, password === undefined ? undefined : password === null ? null : secrets.seal(password));
}
