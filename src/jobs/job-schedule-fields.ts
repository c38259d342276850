import { computeNextFire } from '../cron/cron-schedule.js';

/** The schedule and retry fields every saved job has, as given (create) or merged (update). */
interface ScheduleInput {
  cron?: string | null | undefined;
  timezone?: string | undefined;
  enabled?: boolean | undefined;
  retry_max?: number | undefined;
  retry_backoff_s?: number | undefined;
  timeout_s?: number | null | undefined;
}

interface StoredSchedule {
  cron: string | null;
  timezone: string;
  enabled: boolean;
  retry_max: number;
  retry_backoff_s: number;
  timeout_s: number | null;
  next_fire_at: Date | null;
}

/** The columns of a job's schedule, defaults filled and its next tick computed. */
export function scheduleValues(job: ScheduleInput): StoredSchedule {
  const cron = job.cron ?? null;
  const timezone = job.timezone ?? 'UTC';
  const enabled = job.enabled ?? true;
  return {
    cron,
    timezone,
    enabled,
    retry_max: job.retry_max ?? 0,
    retry_backoff_s: job.retry_backoff_s ?? 60,
    timeout_s: job.timeout_s ?? null,
    next_fire_at: computeNextFire({ cron, timezone, enabled }),
  };
}

/** A patch's schedule fields over the stored ones (null clears cron and timeout). */
export function mergedSchedule(patch: ScheduleInput & { channel_ids?: string[] | undefined }, current: Omit<StoredSchedule, 'next_fire_at'> & { channel_ids: string[] }) {
  return {
    cron: patch.cron !== undefined ? patch.cron : current.cron,
    timezone: patch.timezone ?? current.timezone,
    enabled: patch.enabled ?? current.enabled,
    retry_max: patch.retry_max ?? current.retry_max,
    retry_backoff_s: patch.retry_backoff_s ?? current.retry_backoff_s,
    timeout_s: patch.timeout_s !== undefined ? patch.timeout_s : current.timeout_s,
    channel_ids: patch.channel_ids ?? current.channel_ids,
  };
}

/** The next tick to store on an edit: kept when the schedule did not change, so an edit never skips or repeats one. */
export function nextFireOnEdit(merged: ScheduleInput, current: Pick<StoredSchedule, 'cron' | 'timezone' | 'enabled' | 'next_fire_at'>): Date | null {
  const next = scheduleValues(merged);
  const changed = next.cron !== current.cron || next.timezone !== current.timezone || next.enabled !== current.enabled;
  return changed ? next.next_fire_at : current.next_fire_at;
}
