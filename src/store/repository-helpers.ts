import type { Kysely, Transaction } from 'kysely';

import { PgferryError } from '../errors/pgferry-error.js';
import type { FieldProblem } from '../errors/validation-error.js';
import type { StoreDatabase } from './store-types.js';

/** The store or a transaction on it: repositories take either. */
export type StoreDb = Kysely<StoreDatabase> | Transaction<StoreDatabase>;

type ReferencedTable = 'connections' | 'storages' | 'notification_channels';

const referenceNoun: Record<ReferencedTable, string> = {
  connections: 'connection',
  storages: 'storage',
  notification_channels: 'notification channel',
};

/** Lists a problem for every id that names no row, so the caller answers 400 before writing. */
export async function missingReferences(db: StoreDb, table: ReferencedTable, field: string, ids: string[]): Promise<FieldProblem[]> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return [];
  const found = await db.selectFrom(table).select('id').where('id', 'in', unique).execute();
  const present = new Set(found.map((row) => row.id));
  return unique
    .filter((id) => !present.has(id))
    .map((id) => ({ field, message: `no ${referenceNoun[table]} has id ${id}` }));
}

/** A unique-name violation becomes a 409 naming the job; anything else is rethrown. */
/**
 * The one answer to a name another row of the kind already has: `details.fields` is the
 * shape the UI places under the input (code `taken`), for every kind alike.
 */
export function nameTaken(kind: string, name: string, cause?: unknown): PgferryError {
  return new PgferryError('PGF_CONFLICT', `name: a ${kind} named "${name}" already exists (names are case-insensitive); pick another name`, {
    details: { fields: [{ field: 'name', code: 'taken', message: 'already exists' }], name },
    ...(cause === undefined ? {} : { cause }),
  });
}

/** A unique violation on the kind's `…_name_key` index becomes nameTaken; anything else is returned as is. */
export function translateNameConflict(error: unknown, kind: string, name: string | undefined): unknown {
  const code = (error as { code?: string }).code;
  const constraint = (error as { constraint?: string }).constraint ?? '';
  if (code === '23505' && constraint.endsWith('_name_key')) return nameTaken(kind, name ?? '', error);
  return error;
}

export function notFound(kind: string, idOrName: string): PgferryError {
  return new PgferryError('PGF_NOT_FOUND', `no ${kind} with id or name "${idOrName}"; list them with \`pgferry jobs list\` or GET the collection`);
}

/** Refuses to delete a job while it has a queued or running run. */
export async function assertNoActiveRun(
  db: StoreDb,
  kind: 'sync' | 'backup',
  job: { id: string; name: string },
): Promise<void> {
  const active = await db
    .selectFrom('runs')
    .select('id')
    .where(kind === 'sync' ? 'sync_job_id' : 'backup_job_id', '=', job.id)
    .where('status', 'in', ['queued', 'running'])
    .executeTakeFirst();
  if (active) {
    throw new PgferryError('PGF_JOB_ALREADY_RUNNING', `${kind} job "${job.name}" has an active run (${active.id}); cancel it before deleting the job`, {
      details: { runId: active.id },
    });
  }
}
