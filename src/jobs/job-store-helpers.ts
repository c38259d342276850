import type { Kysely, Transaction } from 'kysely';

import { PgferryError } from '../errors/pgferry-error.js';
import type { StoreDatabase } from '../store/store-types.js';
import { nextFireTime } from './cron/cron-schedule.js';

export type StoreDb = Kysely<StoreDatabase> | Transaction<StoreDatabase>;

export interface FieldProblem {
  field: string;
  message: string;
}

/** The same 400 shape the API's schema validation answers: details.fields lists each problem. */
export function validationError(fields: FieldProblem[]): PgferryError {
  return new PgferryError(
    'PGF_VALIDATION_FAILED',
    `invalid input: ${fields.map((problem) => `${problem.field}: ${problem.message}`).join('; ')}`,
    { details: { fields } },
  );
}

/** Next fire time of an enabled, scheduled job, or null. */
/** A zod failure as one validation error naming every field. */
export function validationErrorFromIssues(issues: readonly { path: PropertyKey[]; message: string }[]): PgferryError {
  return validationError(issues.map((issue) => ({ field: issue.path.map(String).join('.'), message: issue.message })));
}

export function computeNextFire(job: { cron: string | null; timezone: string; enabled: boolean }, from = new Date()): Date | null {
  if (!job.enabled || job.cron === null) return null;
  return nextFireTime(job.cron, job.timezone, from);
}

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
export function translateNameConflict(error: unknown, kind: string, name: string | undefined): unknown {
  const code = (error as { code?: string }).code;
  const constraint = (error as { constraint?: string }).constraint ?? '';
  if (code === '23505' && constraint.endsWith('_name_key')) {
    return new PgferryError('PGF_CONFLICT', `a ${kind} named "${name ?? ''}" already exists; choose another name`, {
      details: { field: 'name' },
    });
  }
  return error;
}

export const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

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
