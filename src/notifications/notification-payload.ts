import type { RunRow } from '../store/store-types.js';
import { formatBytes } from '../engine/format-bytes.js';

export type ProtectionEvent = 'protection_lag' | 'protection_retained' | 'protection_recovered';
export type NotificationEvent = 'failed' | 'succeeded' | 'recovered' | 'backup_overdue' | 'replication_retained' | 'replication_lag' | ProtectionEvent | 'test';

/** Events that need someone's attention (shown red, sent with high priority). */
export const alarmingEvents: ReadonlySet<NotificationEvent> = new Set(['failed', 'backup_overdue', 'replication_retained', 'replication_lag', 'protection_lag', 'protection_retained']);

/** What every channel is told; webhooks receive it as JSON, chat robots as `text`. */
export interface NotificationPayload {
  event: NotificationEvent;
  title: string;
  text: string;
  run?: {
    id: string;
    kind: string;
    job_id: string | null;
    job_name: string | null;
    status: string;
    trigger: string;
    attempt: number;
    started_at: string | null;
    finished_at: string | null;
    duration_s: number | null;
    total_rows: number;
    total_bytes: number;
    error_code: string | null;
    error_message: string | null;
    /** Schema objects not reproduced (status `incomplete`, sent with event `failed`). */
    missing_objects: { object: string; reason: string }[];
  };
  job?: { id: string; name: string; kind: 'sync' | 'backup' | 'follow' };
  [extra: string]: unknown;
}

const headline: Record<NotificationEvent, string> = {
  failed: '❌ failed',
  succeeded: '✅ succeeded',
  recovered: '✅ recovered',
  backup_overdue: '⏰ backup overdue',
  replication_retained: '⚠️ replication slot retains too much WAL',
  replication_lag: '⚠️ replication lag past its threshold',
  protection_lag: '⚠️ WAL archiving lag past its threshold',
  protection_retained: '⚠️ replication slot retains too much WAL',
  protection_recovered: '✅ WAL archiving back under its threshold',
  test: '🔔 test',
};

/** The title of an `incomplete` run, whatever event tells it: never a success mark. */
const incompleteHeadline = '⚠️ incomplete (schema objects not reproduced)';
const maxListed = 10;

export function runPayload(event: 'failed' | 'succeeded' | 'recovered', run: RunRow): NotificationPayload {
  const duration = run.started_at && run.finished_at ? (run.finished_at.getTime() - run.started_at.getTime()) / 1000 : null;
  const name = run.job_name ?? `${run.kind} run`;
  const missing = run.missing_objects;
  const incomplete = run.status === 'incomplete';
  const title = `pgferry: ${run.kind} job "${name}" ${incomplete ? incompleteHeadline : headline[event]}`;
  const lines = [
    title,
    `run ${run.id} · attempt ${run.attempt} · trigger ${run.trigger}`,
    `${Number(run.total_rows).toLocaleString('en-US')} rows, ${formatBytes(Number(run.total_bytes))}${duration === null ? '' : ` in ${duration.toFixed(1)} s`}`,
  ];
  if (incomplete) {
    lines.push(`every table was copied, but ${missing.length} schema object(s) were not reproduced on the destination:`);
    for (const m of missing.slice(0, maxListed)) lines.push(`  ${m.object}: ${m.reason}`);
    if (missing.length > maxListed) lines.push(`  … and ${missing.length - maxListed} more (see the run)`);
  } else if (run.error_message) lines.push(`error: ${run.error_message}`);
  return {
    event,
    title,
    text: lines.join('\n'),
    run: {
      id: run.id,
      kind: run.kind,
      job_id: run.sync_job_id ?? run.backup_job_id,
      job_name: run.job_name,
      status: run.status,
      trigger: run.trigger,
      attempt: run.attempt,
      started_at: run.started_at?.toISOString() ?? null,
      finished_at: run.finished_at?.toISOString() ?? null,
      duration_s: duration,
      total_rows: Number(run.total_rows),
      total_bytes: Number(run.total_bytes),
      error_code: run.error_code,
      error_message: run.error_message,
      missing_objects: missing,
    },
  };
}

export function overduePayload(job: { id: string; name: string }, lastSuccessAt: Date | null, expectedBy: Date): NotificationPayload {
  const title = `pgferry: backup job "${job.name}" ${headline.backup_overdue}`;
  const since = lastSuccessAt ? `last successful backup ${lastSuccessAt.toISOString()}` : 'no successful backup yet';
  return {
    event: 'backup_overdue',
    title,
    text: `${title}\n${since}; a new one was expected by ${expectedBy.toISOString()}`,
    job: { id: job.id, name: job.name, kind: 'backup' },
    last_success_at: lastSuccessAt?.toISOString() ?? null,
    expected_by: expectedBy.toISOString(),
  };
}

/** A continuous-sync job passed one of its thresholds (told once until it is back under it). */
export function followAlertPayload(
  event: 'replication_retained' | 'replication_lag',
  job: { id: string; name: string },
  figures: { retainedBytes: number | null; lagSeconds: number | null; lagBytes: number | null; threshold: number },
): NotificationPayload {
  const title = `pgferry: continuous-sync job "${job.name}" ${headline[event]}`;
  const detail =
    event === 'replication_retained'
      ? `the source keeps ${formatBytes(figures.retainedBytes ?? 0)} of WAL for its slot (threshold ${formatBytes(figures.threshold)}); the source's disk fills if this goes on: check that a worker follows the job (pgferry replication show), or drop it`
      : `the destination is ${figures.lagSeconds ?? '?'} s behind the source (threshold ${figures.threshold} s, ${formatBytes(figures.lagBytes ?? 0)} of WAL)`;
  return {
    event,
    title,
    text: `${title}\n${detail}`,
    job: { id: job.id, name: job.name, kind: 'follow' },
    retained_bytes: figures.retainedBytes,
    lag_seconds: figures.lagSeconds,
    lag_bytes: figures.lagBytes,
    threshold: figures.threshold,
  };
}

/** A continuous-sync job's follower stopped on an error that needs someone (the job is paused). */
export function followFailedPayload(job: { id: string; name: string }, code: string, message: string): NotificationPayload {
  const title = `pgferry: continuous-sync job "${job.name}" ${headline.failed}`;
  return {
    event: 'failed',
    title,
    text: `${title}\n${code}: ${message}\nthe job is paused (its slot keeps WAL on the source); fix the cause, then resume it (pgferry replication resume ${job.name})`,
    job: { id: job.id, name: job.name, kind: 'follow' },
    error_code: code,
    error_message: message,
  };
}

/** A protected connection passed one of its thresholds, or came back under it (told once per crossing). */
export function protectionAlertPayload(
  event: ProtectionEvent,
  connection: { id: string; name: string },
  figures: { lagSeconds: number | null; lagBytes: number | null; retainedBytes: number | null },
  crossed: { measure: 'lag' | 'retained'; threshold: number },
): NotificationPayload {
  const title = `pgferry: continuous protection of "${connection.name}" ${headline[event]}`;
  const measured =
    crossed.measure === 'retained'
      ? `the source keeps ${formatBytes(figures.retainedBytes ?? 0)} of WAL for the protection's slot (threshold ${formatBytes(crossed.threshold)})`
      : `WAL not yet in storage spans ${figures.lagSeconds ?? '?'} s, ${formatBytes(figures.lagBytes ?? 0)} (threshold ${crossed.threshold} s): that much would be lost with the source`;
  const advice = event === 'protection_recovered' ? '' : '\ncheck that a worker streams it (pgferry protection status CONNECTION) and that the storage accepts writes';
  return {
    event,
    title,
    text: `${title}\n${measured}${advice}`,
    connection: { id: connection.id, name: connection.name },
    measure: crossed.measure,
    threshold: crossed.threshold,
    lag_seconds: figures.lagSeconds,
    lag_bytes: figures.lagBytes,
    retained_bytes: figures.retainedBytes,
  };
}

export function testPayload(channelName: string): NotificationPayload {
  const title = `pgferry: ${headline.test} message for channel "${channelName}"`;
  return { event: 'test', title, text: `${title}\nIf you can read this, the channel works.` };
}
