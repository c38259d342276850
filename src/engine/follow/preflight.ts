import type pg from 'pg';

import { PgferryError } from '../../errors/pgferry-error.js';
import { type QualifiedName, displayName, qualified, quoteIdent } from '../sql/quote-ident.js';

interface IdentityRow {
  schema: string;
  name: string;
  identity: 'd' | 'n' | 'f' | 'i';
  has_key: boolean;
  has_index: boolean;
  owned: boolean;
}

/**
 * Checks, before anything is created on the source, that a follow can work: wal_level=logical,
 * a role allowed to replicate, to create a publication (CREATE on the database, ownership of
 * the tables), a free replication slot, and a usable replica identity on every selected table
 * (a key or an index, FULL for a table without a key). Throws naming every problem and its fix.
 */
export async function preflightFollow(source: pg.Client, tables: readonly QualifiedName[]): Promise<void> {
  const settings = await source.query<{ wal_level: string; replicate: boolean; create: boolean; slots_free: boolean; user: string }>(
    `SELECT current_setting('wal_level') AS wal_level,
            (SELECT rolsuper OR rolreplication FROM pg_roles WHERE rolname = current_user) AS replicate,
            has_database_privilege(current_database(), 'CREATE') AS create,
            (SELECT count(*) FROM pg_replication_slots) < current_setting('max_replication_slots')::int AS slots_free,
            current_user AS user`,
  );
  const s = settings.rows[0]!;
  const problems: string[] = [];
  if (s.wal_level !== 'logical') problems.push(`wal_level is "${s.wal_level}", logical decoding needs "logical" (ALTER SYSTEM SET wal_level = logical; then restart the server)`);
  if (!s.replicate) problems.push(`role "${s.user}" may not replicate (ALTER ROLE ${quoteIdent(s.user)} REPLICATION, and allow it in pg_hba.conf)`);
  if (!s.create) problems.push(`role "${s.user}" cannot create a publication in this database (GRANT CREATE ON DATABASE … TO it)`);
  if (!s.slots_free) problems.push('every replication slot is in use (raise max_replication_slots or drop an unused slot)');
  if (problems.length > 0) {
    throw new PgferryError('PGF_FOLLOW_NOT_READY', `the source cannot be followed: ${problems.join('; ')}`, { details: { problems } });
  }

  const identities = await source.query<IdentityRow>(
    `SELECT n.nspname AS schema, c.relname AS name, c.relreplident AS identity,
            EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary) AS has_key,
            EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisreplident AND i.indisvalid) AS has_index,
            pg_has_role(c.relowner, 'USAGE') AS owned
       FROM unnest($1::text[], $2::text[]) AS t(schema, name)
       JOIN pg_namespace n ON n.nspname = t.schema
       JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = t.name`,
    [tables.map((t) => t.schema), tables.map((t) => t.name)],
  );
  const unusable = identities.rows.filter((t) => t.identity === 'n' || (t.identity === 'd' && !t.has_key) || (t.identity === 'i' && !t.has_index));
  if (unusable.length > 0) {
    const names = unusable.map((t) => displayName(t));
    const fixes = unusable.map((t) => `ALTER TABLE ${qualified(t)} REPLICA IDENTITY FULL;`);
    throw new PgferryError(
      'PGF_FOLLOW_REPLICA_IDENTITY',
      `${names.length} table(s) have no usable replica identity, so their updates and deletes cannot be followed: ${names.join(', ')}; add a primary key, or run on the source: ${fixes.join(' ')}`,
      { details: { tables: names } },
    );
  }
  const foreign = identities.rows.filter((t) => !t.owned);
  if (foreign.length > 0) {
    throw new PgferryError(
      'PGF_FOLLOW_NOT_READY',
      `role "${s.user}" does not own ${foreign.map((t) => displayName(t)).join(', ')}, and a publication can only list tables its role owns; follow as the owner (or a superuser)`,
    );
  }
}
