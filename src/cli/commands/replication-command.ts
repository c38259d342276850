import type { Command } from 'commander';

import { errorCodes } from '../../errors/error-codes.js';
import { PgferryError } from '../../errors/pgferry-error.js';
import { formatBytes } from '../../engine/format-bytes.js';
import { followEngine } from '../../jobs/follow/follow-engine.js';
import { type FollowOperationContext, cutoverFollowJob, dropFollowJob, liveFollowStatus } from '../../jobs/follow/follow-operations.js';
import { progressRecord } from '../../jobs/follow/follow-records.js';
import { setFollowJobPaused } from '../../jobs/follow-job-service.js';
import { type CutoverReportView, type FollowJobView, followJobView } from '../../jobs/follow-job-views.js';
import { createOutboundCheck } from '../../net/outbound-guard.js';
import { resolveEncryptionKey } from '../../secrets/encryption-key.js';
import { SecretBox } from '../../secrets/secret-box.js';
import type { OpenedStore } from '../../store/open-store.js';
import { followStates, getFollowJob } from '../../store/follow-job-repository.js';
import { listSyncJobs } from '../../store/sync-job-repository.js';
import { createCliContext } from '../cli-context.js';
import { type FollowTargetFlags, resolveCliFollow, withFollowTargetOptions } from './follow-cli-support.js';
import { printJson, withJobStore } from './jobs-command.js';

async function operationContext(store: OpenedStore): Promise<FollowOperationContext> {
  const { config, logger } = createCliContext();
  return { db: store.db, secrets: new SecretBox(await resolveEncryptionKey(config, logger)), outbound: createOutboundCheck(config.PGFERRY_OUTBOUND_ALLOW), engine: followEngine, logger };
}

function lagText(view: FollowJobView): string {
  const progress = view.progress;
  if (!progress) return 'no progress stored yet';
  const lag = progress.lag_bytes === null ? '?' : formatBytes(progress.lag_bytes);
  return `${progress.phase}, lag ${lag} / ${progress.lag_seconds ?? '?'} s, slot retains ${progress.retained_bytes === null ? '?' : formatBytes(progress.retained_bytes)}, ${progress.changes_per_second.toFixed(1)} changes/s (at ${progress.measured_at ?? '?'})`;
}

function printJob(view: FollowJobView): void {
  console.log(`continuous-sync job "${view.name}" (${view.id})`);
  console.log(`state: ${view.state}${view.paused_reason ? ` (${view.paused_reason})` : ''}${view.worker_id ? ` on worker ${view.worker_id}` : ''}`);
  console.log(`progress: ${lagText(view)}`);
  if (view.progress) {
    console.log(`slot ${view.progress.slot_name ?? '?'}, publication ${view.progress.publication_name ?? '?'}, applied ${view.progress.applied_lsn ?? '-'} of ${view.progress.source_lsn ?? '-'}`);
    console.log(`last applied transaction: ${view.progress.last_applied_xid ?? '-'} committed ${view.progress.last_applied_commit_time ?? '-'}`);
  }
  if (view.last_error) console.log(`last error: ${view.last_error.code} ${view.last_error.message ?? ''} (${view.last_error.at ?? ''})`);
  if (view.last_cutover) console.log(`last cut-over: ${view.last_cutover.equal ? 'equal' : 'NOT EQUAL'} at ${view.last_cutover.applied_lsn} (${view.last_cutover.finished_at})`);
}

/** What a DBA reads before switching traffic: one line per fact, the verdict last. */
export function printCutoverReport(report: CutoverReportView): void {
  console.log(`caught up: applied ${report.applied_lsn} (source target ${report.target_lsn}) in ${report.seconds.toFixed(1)} s`);
  console.log(`sequences set: ${report.sequences_set.length}`);
  for (const sequence of report.sequences_set) console.log(`  ${sequence.sequence} = ${sequence.value}`);
  console.log(`schema: ${report.schema_equal ? 'equal' : 'DIFFERENT'}`);
  for (const table of report.tables) {
    console.log(`  ${table.equal ? 'equal    ' : 'DIFFERENT'} ${table.table}: source ${table.source_rows} rows, destination ${table.destination_rows}${table.detail ? ` — ${table.detail}` : ''}`);
  }
  const differing = report.tables.filter((table) => !table.equal).length;
  console.log(
    report.equal
      ? `EQUAL: every table (${report.tables.length}) and the schema match; the job is stopped. Switch traffic now; drop the job (pgferry replication drop) once the source is retired.`
      : `NOT EQUAL: ${differing} table(s)${report.schema_equal ? '' : ' and the schema'} differ; do not switch traffic. The follower keeps running.`,
  );
}

export function registerReplicationCommand(program: Command): void {
  const replication = program.command('replication').description('Saved continuous-sync jobs (create them with `pgferry jobs create follow`): list, show, pause, resume, drop');

  replication
    .command('list')
    .description('List continuous-sync jobs with their state and lag')
    .option('--json', 'machine-readable output')
    .action(async (flags: { json?: boolean }) => {
      await withJobStore(async (store) => {
        const jobs = (await listSyncJobs(store.db, { page: 1, page_size: 200, kind: 'follow' })).items;
        const states = await followStates(store.db, jobs.map((job) => job.id));
        const views = jobs.flatMap((job) => {
          const follow = states.get(job.id);
          return follow ? [followJobView({ ...job, follow })] : [];
        });
        if (flags.json) return printJson({ items: views });
        if (views.length === 0) return console.log('No continuous-sync jobs yet; create one with `pgferry jobs create follow --source A --destination B …`.');
        for (const view of views) console.log(`${view.state.padEnd(8)} ${view.id}  ${view.name}  — ${lagText(view)}`);
      });
    });

  replication
    .command('show <job>')
    .description('Show a job: state, worker, stored progress, and (with --live) lag measured now')
    .option('--live', 'measure the lag now on the source and the destination')
    .option('--json', 'machine-readable output')
    .action(async (idOrName: string, flags: { live?: boolean; json?: boolean }) => {
      await withJobStore(async (store) => {
        const view = followJobView(await getFollowJob(store.db, idOrName));
        const live = flags.live ? progressRecord(await liveFollowStatus(await operationContext(store), view.id)) : undefined;
        if (flags.json) return printJson(live ? { ...view, live } : view);
        printJob(view);
        if (live) console.log(`live: lag ${live.lag_bytes === null ? '?' : formatBytes(live.lag_bytes)} / ${live.lag_seconds ?? '?'} s, slot retains ${live.retained_bytes === null ? '?' : formatBytes(live.retained_bytes)}, applied ${live.applied_lsn ?? '-'} of ${live.source_lsn ?? '-'}`);
      });
    });

  for (const action of ['pause', 'resume'] as const) {
    replication
      .command(`${action} <job>`)
      .description(action === 'pause' ? 'Stop the follower cleanly (the slot stays and retains WAL on the source)' : 'Let a worker follow the job again, from its stored position')
      .option('--json', 'machine-readable output')
      .action(async (idOrName: string, flags: { json?: boolean }) => {
        await withJobStore(async (store) => {
          const view = followJobView(await setFollowJobPaused(store.db, idOrName, action === 'pause'));
          if (flags.json) return printJson(view);
          console.log(action === 'pause' ? `paused "${view.name}": its follower stops within a heartbeat; the slot keeps WAL until you resume or drop it` : `resumed "${view.name}": a worker follows it within a poll`);
        });
      });
  }

  withFollowTargetOptions(
    replication
      .command('drop [job]')
      .description('Stop following for good: remove the slot and publication on the source and the position on the destination (a saved JOB is also deleted; a follow started with sync --follow is named by --from/--to and its selection)'),
  )
    .option('--json', 'machine-readable output')
    .action(async (idOrName: string | undefined, flags: DropFlags) => {
      const said = (done: boolean, what: string) => `${what} ${done ? 'dropped' : 'was already gone'}`;
      if (idOrName === undefined) {
        const dropped = await dropCliFollow(flags);
        if (flags.json) return printJson(dropped);
        return console.log(`dropped follow ${dropped.followId}: ${said(dropped.slotDropped, 'slot')}, ${said(dropped.publicationDropped, 'publication')}, ${said(dropped.positionDropped, 'position')}`);
      }
      if (flags.from || flags.to || flags.followId) throw new PgferryError('PGF_VALIDATION_FAILED', `replication drop ${idOrName}: give either a saved continuous-sync job or --from/--to (a follow started with sync --follow), not both`);
      await withJobStore(async (store) => {
        const outcome = await dropFollowJob(await operationContext(store), idOrName);
        if (flags.json) return printJson(outcome);
        console.log(`dropped "${outcome.job.name}": ${said(outcome.slot_dropped, 'slot')}, ${said(outcome.publication_dropped, 'publication')}, ${said(outcome.position_dropped, 'position')}`);
      });
    });
}

interface DropFlags extends FollowTargetFlags {
  json?: boolean;
}

/** Drops a follow started with `sync --follow` (no saved job): its slot keeps WAL on the source until then. */
async function dropCliFollow(flags: DropFlags): Promise<{ followId: string; slotDropped: boolean; publicationDropped: boolean; positionDropped: boolean }> {
  const { source, destination, followId } = await resolveCliFollow(flags, 'replication drop');
  const { dropFollow } = await import('../../engine/follow/drop-follow.js');
  return { followId, ...(await dropFollow({ source, destination, followId })) };
}

/**
 * `pgferry cutover JOB`: waits for lag 0, sets sequences, compares, prints the report and stops
 * the job when equal; exit 16 (PGF_VERIFY_MISMATCH) when not equal.
 */
export async function cutoverSavedJob(idOrName: string, timeoutMs: number, json: boolean): Promise<void> {
  await withJobStore(async (store) => {
    const report = await cutoverFollowJob(await operationContext(store), idOrName, timeoutMs);
    if (json) printJson(report);
    else printCutoverReport(report);
    if (!report.equal) process.exitCode = errorCodes.PGF_VERIFY_MISMATCH.exit;
  });
}
