import type { RunRow } from '../store/store-types.js';

export type NotificationEvent = 'failed' | 'succeeded' | 'recovered' | 'backup_overdue' | 'test';

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
  };
  job?: { id: string; name: string; kind: 'sync' | 'backup' };
  [extra: string]: unknown;
}

const headline: Record<NotificationEvent, string> = {
  failed: '❌ failed',
  succeeded: '✅ succeeded',
  recovered: '✅ recovered',
  backup_overdue: '⏰ backup overdue',
  test: '🔔 test',
};

function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

export function runPayload(event: Exclude<NotificationEvent, 'backup_overdue' | 'test'>, run: RunRow): NotificationPayload {
  const duration = run.started_at && run.finished_at ? (run.finished_at.getTime() - run.started_at.getTime()) / 1000 : null;
  const name = run.job_name ?? `${run.kind} run`;
  const title = `pgferry: ${run.kind} job "${name}" ${headline[event]}`;
  const lines = [
    title,
    `run ${run.id} · attempt ${run.attempt} · trigger ${run.trigger}`,
    `${Number(run.total_rows).toLocaleString('en-US')} rows, ${formatBytes(Number(run.total_bytes))}${duration === null ? '' : ` in ${duration.toFixed(1)} s`}`,
  ];
  if (run.error_message) lines.push(`error: ${run.error_message}`);
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

export function testPayload(channelName: string): NotificationPayload {
  const title = `pgferry: ${headline.test} message for channel "${channelName}"`;
  return { event: 'test', title, text: `${title}\nIf you can read this, the channel works.` };
}
