import type { Insertable, Kysely } from 'kysely';
import type pg from 'pg';

import { type ConnectionFields, type SslMode, clientConfigFromFields } from '../engine/connection-config.js';
import { PgferryError } from '../errors/pgferry-error.js';
import type { SecretBox } from '../secrets/secret-box.js';
import { containsPattern } from './like-pattern.js';
import { releaseProtectionReferences } from './protection-repository.js';
import { nameTaken } from './repository-helpers.js';
import type { ConnectionRow, StoreDatabase } from './store-types.js';
import { isUuid } from './uuid.js';

/** A connection as every reader sees it: no secret, only whether one is stored. */
export interface ConnectionView {
  id: string;
  name: string;
  description: string | null;
  host: string;
  port: number;
  database: string;
  user: string;
  sslmode: SslMode;
  application_name: string | null;
  connect_timeout: number | null;
  options: string | null;
  protected: boolean;
  tags: string[];
  has_password: boolean;
  created_at: string;
  updated_at: string;
}

export interface ConnectionListQuery {
  search?: string | undefined;
  page?: number | undefined;
  page_size?: number | undefined;
  sort?: 'name' | '-name' | 'created_at' | '-created_at' | 'updated_at' | '-updated_at' | undefined;
}

export interface ConnectionTarget {
  id: string;
  name: string;
  protected: boolean;
  config: pg.ClientConfig;
}

const ownerOf = (name: string) => `connection "${name}"`;

export function toConnectionView(row: ConnectionRow): ConnectionView {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    host: row.host,
    port: row.port,
    database: row.database,
    user: row.username,
    sslmode: row.sslmode as SslMode,
    application_name: row.application_name,
    connect_timeout: row.connect_timeout_s,
    options: row.options,
    protected: row.protected,
    tags: row.tags,
    has_password: row.password_encrypted !== null,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

/** The target fields of a stored connection, with its password decrypted. */
export function connectionFieldsFromRow(row: ConnectionRow, secrets: SecretBox): ConnectionFields {
  return {
    host: row.host,
    port: row.port,
    database: row.database,
    user: row.username,
    password: row.password_encrypted === null ? undefined : secrets.open(row.password_encrypted, ownerOf(row.name)),
    sslmode: row.sslmode as SslMode,
    application_name: row.application_name ?? undefined,
    connect_timeout: row.connect_timeout_s ?? undefined,
    options: row.options ?? undefined,
  };
}

export async function findConnectionRow(db: Kysely<StoreDatabase>, idOrName: string): Promise<ConnectionRow | undefined> {
  let query = db.selectFrom('connections').selectAll();
  query = isUuid(idOrName)
    ? query.where((eb) => eb.or([eb('id', '=', idOrName), eb(eb.fn('lower', ['name']), '=', idOrName.toLowerCase())]))
    : query.where((eb) => eb(eb.fn('lower', ['name']), '=', idOrName.toLowerCase()));
  return query.executeTakeFirst();
}

export async function getConnectionRow(db: Kysely<StoreDatabase>, idOrName: string): Promise<ConnectionRow> {
  const row = await findConnectionRow(db, idOrName);
  if (row === undefined) {
    throw new PgferryError('PGF_NOT_FOUND', `connection "${idOrName}" does not exist; list them with \`pgferry connections list\``, {
      details: { connection: idOrName },
    });
  }
  return row;
}

export async function getConnection(db: Kysely<StoreDatabase>, idOrName: string): Promise<ConnectionView> {
  return toConnectionView(await getConnectionRow(db, idOrName));
}

/** The pg.ClientConfig of a saved connection, for the engine (sync, backup, jobs). */
export async function loadConnectionTarget(db: Kysely<StoreDatabase>, secrets: SecretBox, idOrName: string): Promise<ConnectionTarget> {
  const row = await getConnectionRow(db, idOrName);
  return { id: row.id, name: row.name, protected: row.protected, config: clientConfigFromFields(connectionFieldsFromRow(row, secrets)) };
}

export async function listConnections(
  db: Kysely<StoreDatabase>,
  query: ConnectionListQuery = {},
): Promise<{ items: ConnectionView[]; total: number; page: number; page_size: number }> {
  const page = query.page ?? 1;
  const pageSize = query.page_size ?? 50;
  const sort = query.sort ?? 'name';
  const column = sort.replace(/^-/, '') as 'name' | 'created_at' | 'updated_at';
  const direction = sort.startsWith('-') ? 'desc' : 'asc';
  let base = db.selectFrom('connections');
  const search = query.search?.trim();
  if (search) {
    const pattern = containsPattern(search);
    base = base.where((eb) =>
      eb.or([eb('name', 'ilike', pattern), eb('host', 'ilike', pattern), eb('database', 'ilike', pattern), eb('description', 'ilike', pattern)]),
    );
  }
  const [rows, count] = await Promise.all([
    base
      .selectAll()
      .orderBy(column === 'name' ? (eb) => eb.fn('lower', ['name']) : column, direction)
      .orderBy('id')
      .limit(pageSize)
      .offset((page - 1) * pageSize)
      .execute(),
    base.select((eb) => eb.fn.countAll<string>().as('total')).executeTakeFirstOrThrow(),
  ]);
  return { items: rows.map(toConnectionView), total: Number(count.total), page, page_size: pageSize };
}

function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: string }).code === '23505';
}

/** The columns of a connection other than its password, as the service validated them. */
export type ConnectionRowValues = Omit<Insertable<StoreDatabase['connections']>, 'password_encrypted' | 'id' | 'created_at' | 'updated_at'> & { name: string };

/** Refuses a name another connection has (names are case-insensitive). */
export async function assertConnectionNameFree(db: Kysely<StoreDatabase>, name: string, exceptId?: string): Promise<void> {
  const clash = await findConnectionRow(db, name);
  if (clash && clash.id !== exceptId) throw nameTaken('connection', name);
}

export async function insertConnectionRow(db: Kysely<StoreDatabase>, values: ConnectionRowValues, passwordEncrypted: string | null): Promise<ConnectionView> {
  try {
    return toConnectionView(await db.insertInto('connections').values({ ...values, password_encrypted: passwordEncrypted }).returningAll().executeTakeFirstOrThrow());
  } catch (error) {
    if (isUniqueViolation(error)) throw nameTaken('connection', values.name, error);
    throw error;
  }
}

/** `passwordEncrypted` undefined keeps the stored password. */
export async function updateConnectionRow(db: Kysely<StoreDatabase>, id: string, values: ConnectionRowValues, passwordEncrypted: string | null | undefined): Promise<ConnectionView> {
  try {
    const row = await db
      .updateTable('connections')
      .set({ ...values, ...(passwordEncrypted === undefined ? {} : { password_encrypted: passwordEncrypted }), updated_at: new Date() })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    return toConnectionView(row);
  } catch (error) {
    if (isUniqueViolation(error)) throw nameTaken('connection', values.name, error);
    throw error;
  }
}

/** The saved jobs that use a connection (they block its deletion). */
export async function jobsUsingConnection(db: Kysely<StoreDatabase>, id: string): Promise<{ kind: 'sync' | 'backup'; id: string; name: string }[]> {
  const sync = await db
    .selectFrom('sync_jobs')
    .select(['id', 'name'])
    .where((eb) => eb.or([eb('source_connection_id', '=', id), eb('destination_connection_id', '=', id)]))
    .orderBy('name')
    .execute();
  const backup = await db.selectFrom('backup_jobs').select(['id', 'name']).where('connection_id', '=', id).orderBy('name').execute();
  return [...sync.map((job) => ({ kind: 'sync' as const, ...job })), ...backup.map((job) => ({ kind: 'backup' as const, ...job }))];
}

export async function deleteConnection(db: Kysely<StoreDatabase>, idOrName: string): Promise<ConnectionView> {
  const row = await getConnectionRow(db, idOrName);
  const refuse = (jobs: { kind: string; id: string; name: string }[], cause?: unknown) =>
    new PgferryError(
      'PGF_CONFLICT',
      `connection "${row.name}" is used by ${jobs.length === 0 ? 'saved jobs' : jobs.map((job) => `${job.kind} job "${job.name}"`).join(', ')}; delete those jobs or point them at another connection first`,
      { details: { connection: row.name, jobs }, ...(cause === undefined ? {} : { cause }) },
    );
  const jobs = await jobsUsingConnection(db, row.id);
  if (jobs.length > 0) throw refuse(jobs);
  try {
    await db.transaction().execute(async (tx) => {
      await releaseProtectionReferences(tx, 'connection_id', row.id, `connection "${row.name}"`);
      await tx.deleteFrom('connections').where('id', '=', row.id).execute();
    });
  } catch (error) {
    // A job created between the check and the delete: the foreign key refuses (23503).
    if ((error as { code?: string }).code === '23503') throw refuse(await jobsUsingConnection(db, row.id), error);
    throw error;
  }
  return toConnectionView(row);
}
