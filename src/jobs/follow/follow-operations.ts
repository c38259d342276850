import type { Kysely } from 'kysely';

import type { FollowProgress } from '../../engine/follow/follow-api.js';
import { PgferryError } from '../../errors/pgferry-error.js';
import type { Logger } from '../../logger.js';
import type { OutboundCheck } from '../../net/outbound-guard.js';
import type { SecretBox } from '../../secrets/secret-box.js';
import { type FollowJob, followLeaseHolder, getFollowJob, saveCutoverReport, setFollowPaused } from '../../store/follow-job-repository.js';
import { deleteSyncJobRow } from '../../store/sync-job-repository.js';
import type { StoreDatabase } from '../../store/store-types.js';
import type { CutoverReportView } from '../follow-job-views.js';
import type { FollowEngine } from './follow-engine.js';
import { followJobOptions } from './follow-job-options.js';
import { cutoverRecord } from './follow-records.js';

// What the CLI and the API do to a continuous-sync job beyond editing it: live status, drop,
// cut-over. Each talks to the follower only through the store (pause, then wait for its lease
// to be given up), so it works whichever worker follows the job.

export interface FollowOperationContext {
  db: Kysely<StoreDatabase>;
  secrets: SecretBox;
  outbound: OutboundCheck;
  engine: FollowEngine;
  /** The process log (the API has none to give: its request log is not a pino Logger). */
  logger?: Logger | undefined;
}

/** Pauses the job and waits until no worker follows it (its lease given up or expired). */
export async function stopFollower(db: Kysely<StoreDatabase>, job: FollowJob, reason: string, timeoutMs = 60_000): Promise<void> {
  await setFollowPaused(db, job.id, true, reason);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const holder = await followLeaseHolder(db, job.id);
    if (!holder) return;
    if (Date.now() > deadline) {
      throw new PgferryError('PGF_CONFLICT', `continuous-sync job "${job.name}" is paused but worker ${holder} still follows it after ${Math.round(timeoutMs / 1000)} s; check that worker (its log), then try again`, {
        details: { workerId: holder },
      });
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** The job's live figures, measured now on the source and the destination. */
export async function liveFollowStatus(context: FollowOperationContext, idOrName: string): Promise<FollowProgress> {
  const job = await getFollowJob(context.db, idOrName);
  const options = await followJobOptions(context.db, context.secrets, context.outbound, job);
  return context.engine.followStatus({ source: options.source, destination: options.destination, followId: options.followId });
}

export interface DropOutcome {
  job: { id: string; name: string };
  slot_dropped: boolean;
  publication_dropped: boolean;
  position_dropped: boolean;
}

/**
 * Drops a continuous-sync job: stops its follower, removes the slot and publication on the
 * source and the position on the destination, then deletes the job. When the engine refuses
 * (slot still active, a server unreachable), the job stays, paused, and the error says why.
 */
export async function dropFollowJob(context: FollowOperationContext, idOrName: string): Promise<DropOutcome> {
  const job = await getFollowJob(context.db, idOrName);
  await stopFollower(context.db, job, 'being dropped');
  const options = await followJobOptions(context.db, context.secrets, context.outbound, job);
  const dropped = await context.engine.dropFollow({ source: options.source, destination: options.destination, followId: options.followId });
  await deleteSyncJobRow(context.db, job.id);
  context.logger?.info({ jobId: job.id, ...dropped }, `continuous-sync job "${job.name}" dropped`);
  return { job: { id: job.id, name: job.name }, slot_dropped: dropped.slotDropped, publication_dropped: dropped.publicationDropped, position_dropped: dropped.positionDropped };
}

/**
 * Cut-over: waits (up to `timeoutMs`) for the running follower to reach the source's current
 * position, sets the sequences, compares every table, stores the report on the job and, when
 * every table and the schema are equal, stops the job (paused; the slot stays until drop).
 * A report that is not equal leaves the follower running.
 */
export async function cutoverFollowJob(context: FollowOperationContext, idOrName: string, timeoutMs: number, signal?: AbortSignal): Promise<CutoverReportView> {
  const job = await getFollowJob(context.db, idOrName);
  if (job.follow.paused || !job.enabled) {
    throw new PgferryError('PGF_CONFLICT', `continuous-sync job "${job.name}" is ${job.enabled ? 'paused' : 'disabled'}: cut-over waits for the running follower to catch up; resume it first (pgferry replication resume ${job.name})`);
  }
  const options = await followJobOptions(context.db, context.secrets, context.outbound, job);
  const { sourceName: _source, destinationName: _destination, ...engineOptions } = options;
  const report = await context.engine.cutover({ ...engineOptions, timeoutMs }, { signal, logger: context.logger });
  const record = cutoverRecord(report);
  await saveCutoverReport(context.db, job.id, record);
  if (record.equal) {
    // The report is what the DBA acts on: a follower slow to stop (it is paused, and has nothing
    // left to apply once writes stopped) must not hide it.
    await stopFollower(context.db, job, `cut over at ${record.applied_lsn} (${record.finished_at})`).catch((error: unknown) =>
      context.logger?.warn({ err: error, jobId: job.id }, 'the job is paused after its cut-over, but its follower has not stopped yet'),
    );
  }
  return record;
}
