import type { Kysely } from 'kysely';
import type pg from 'pg';

import { type SyncOptionProblem, checkSyncOptions } from '../engine/sync/check-sync-options.js';
import { openSession } from '../engine/sql/session-settings.js';
import { PgferryError, isPgferryError } from '../errors/pgferry-error.js';
import type { SecretBox } from '../secrets/secret-box.js';
import type { SyncMode } from '../engine/types.js';
import type { JobSelection, JobTableOptions } from '../store/job-columns.js';
import { loadAllowedConnectionTarget } from '../net/allowed-targets.js';
import type { OutboundCheck } from '../net/outbound-guard.js';
import type { StoreDatabase } from '../store/store-types.js';
import { jobSyncScope } from './sync-job-scope.js';

export interface CheckableSyncJob {
  source_connection_id: string;
  destination_connection_id: string;
  default_mode: SyncMode;
  selection: JobSelection;
  table_options: JobTableOptions;
}

/** What a job's run binds in its filters, with values of the right type (only the type matters to EXPLAIN). */
const runPlaceholders = { last_success_at: { value: '-infinity', type: 'timestamptz' } };

/** A run's connections get their own timeout; a save must not hang on a server that does not answer. */
const connectTimeoutMs = 5_000;

/** The form field a problem belongs to, as the API names body fields. */
function fieldOf(problem: SyncOptionProblem): string {
  const name = problem.field === 'cursor' ? 'cursor_column' : problem.field;
  if (problem.match === null) return problem.field === 'mode' ? 'body.default_mode' : `body.table_options.*.${name}`;
  return `body.table_options.${problem.match}.${name}`;
}

/**
 * Refuses a sync job whose options cannot work, before it is saved: filters the source cannot
 * plan, keyed modes on tables without a key, a chosen key that is no unique index, an
 * incremental cursor the table lacks. Checked against the servers (read-only); when one
 * cannot be reached, or PGFERRY_OUTBOUND_ALLOW forbids connecting to it, the job is saved
 * unchecked and its runs report the problem.
 */
export async function checkSyncJob(db: Kysely<StoreDatabase>, secrets: SecretBox, outbound: OutboundCheck, job: CheckableSyncJob): Promise<void> {
  const scope = jobSyncScope(job);
  let source: pg.Client | undefined;
  let destination: pg.Client | undefined;
  try {
    try {
      const [sourceTarget, destinationTarget] = await Promise.all([
        loadAllowedConnectionTarget(db, secrets, outbound, job.source_connection_id),
        loadAllowedConnectionTarget(db, secrets, outbound, job.destination_connection_id),
      ]);
      source = await openSession({ ...sourceTarget.config, connectionTimeoutMillis: connectTimeoutMs }, 'source', 'pgferry job check');
      destination = await openSession({ ...destinationTarget.config, connectionTimeoutMillis: connectTimeoutMs }, 'destination', 'pgferry job check').catch(() => undefined);
    } catch (error) {
      // An unknown connection is the save's own 400 (checkReferences); an unreachable one is checked by the runs.
      if (isPgferryError(error) && (error.code === 'PGF_NOT_FOUND' || error.code === 'PGF_OUTBOUND_DENIED' || error.code.startsWith('PGF_CONNECTION_'))) return;
      throw error;
    }
    const problems = await checkSyncOptions(source, destination ?? null, scope, runPlaceholders);
    if (problems.length === 0) return;
    const fields = problems.map((problem) => ({ field: fieldOf(problem), table: problem.table, message: problem.message }));
    throw new PgferryError('PGF_VALIDATION_FAILED', `the job's options do not work on the source: ${fields.map((f) => `${f.field}: ${f.message}`).join('; ')}`, { details: { fields } });
  } finally {
    await source?.end().catch(() => undefined);
    await destination?.end().catch(() => undefined);
  }
}
