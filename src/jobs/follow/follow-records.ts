import type { CutoverReport, FollowProgress } from '../../engine/follow/follow-api.js';
import type { CutoverReportView, FollowProgressView } from '../follow-job-views.js';

// The engine's figures as stored in follow_jobs (snake_case, like every API answer).

export function progressRecord(progress: FollowProgress): Omit<FollowProgressView, 'measured_at'> {
  return {
    phase: progress.phase,
    slot_name: progress.slotName,
    publication_name: progress.publicationName,
    source_lsn: progress.sourceLsn,
    applied_lsn: progress.appliedLsn,
    lag_bytes: progress.lagBytes,
    lag_seconds: progress.lagSeconds,
    retained_bytes: progress.retainedBytes,
    last_applied_xid: progress.lastAppliedXid,
    last_applied_commit_time: progress.lastAppliedCommitTime,
    changes_applied: progress.changesApplied,
    changes_per_second: progress.changesPerSecond,
    transactions_applied: progress.transactionsApplied,
  };
}

export function cutoverRecord(report: CutoverReport, finishedAt = new Date()): CutoverReportView {
  return {
    follow_id: report.followId,
    target_lsn: report.targetLsn,
    applied_lsn: report.appliedLsn,
    sequences_set: report.sequencesSet,
    tables: report.tables.map((table) => ({
      table: table.table,
      equal: table.equal,
      source_rows: table.sourceRows,
      destination_rows: table.destinationRows,
      ...(table.detail !== undefined ? { detail: table.detail } : {}),
    })),
    schema_equal: report.schemaEqual,
    equal: report.equal,
    seconds: report.seconds,
    finished_at: finishedAt.toISOString(),
  };
}
