/**
 * Retention as pure functions: which backups a policy keeps and which expire, with the
 * reason for each, so `backups prune --dry-run` can print the plan before deleting.
 *
 * GFS buckets follow restic/borg semantics: `daily: 7` keeps the newest backup of each of the
 * 7 most recent calendar days (UTC) that have a backup; weekly uses ISO weeks, monthly
 * calendar months. Rules add up: a backup is kept when any rule keeps it. The newest
 * verified backup (verify or drill passed) is never expired, whatever the policy says.
 */

export interface RetentionPolicy {
  keepLast?: number | undefined;
  daily?: number | undefined;
  weekly?: number | undefined;
  monthly?: number | undefined;
}

export interface RetentionCandidate {
  id: string;
  createdAt: Date;
  /** Verify or drill passed (state verified or drill_passed). */
  verified: boolean;
}

export interface RetentionDecision<T extends RetentionCandidate = RetentionCandidate> {
  backup: T;
  keep: boolean;
  reasons: string[];
}

export interface RetentionPlan<T extends RetentionCandidate = RetentionCandidate> {
  keep: RetentionDecision<T>[];
  expire: RetentionDecision<T>[];
}

export function hasRules(policy: RetentionPolicy): boolean {
  return [policy.keepLast, policy.daily, policy.weekly, policy.monthly].some((value) => value !== undefined && value > 0);
}

const pad = (value: number) => String(value).padStart(2, '0');

export function dayKey(date: Date): string {
  return `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}`;
}

export function monthKey(date: Date): string {
  return `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}`;
}

/** ISO 8601 week, e.g. 2026-W01 (weeks start on Monday; week 1 holds the first Thursday). */
export function isoWeekKey(date: Date): string {
  const day = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()));
  const weekday = day.getUTCDay() === 0 ? 7 : day.getUTCDay();
  day.setUTCDate(day.getUTCDate() + 4 - weekday);
  const yearStart = Date.UTC(day.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((day.getTime() - yearStart) / 86_400_000 + 1) / 7);
  return `${day.getUTCFullYear()}-W${pad(week)}`;
}

export function planRetention<T extends RetentionCandidate>(backups: readonly T[], policy: RetentionPolicy): RetentionPlan<T> {
  const sorted = [...backups].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || b.id.localeCompare(a.id));
  const reasons = new Map<string, string[]>(sorted.map((backup) => [backup.id, []]));
  const add = (backup: T, reason: string) => reasons.get(backup.id)?.push(reason);

  if (!hasRules(policy)) {
    for (const backup of sorted) add(backup, 'no retention rules');
  }
  sorted.slice(0, policy.keepLast ?? 0).forEach((backup, index) => add(backup, `last ${index + 1} of ${policy.keepLast}`));

  const bucketRule = (count: number | undefined, name: string, key: (date: Date) => string) => {
    if (!count || count <= 0) return;
    const seen = new Set<string>();
    for (const backup of sorted) {
      const bucket = key(backup.createdAt);
      if (seen.has(bucket)) continue;
      if (seen.size >= count) break;
      seen.add(bucket);
      add(backup, `${name} ${bucket}`);
    }
  };
  bucketRule(policy.daily, 'daily', dayKey);
  bucketRule(policy.weekly, 'weekly', isoWeekKey);
  bucketRule(policy.monthly, 'monthly', monthKey);

  const newestVerified = sorted.find((backup) => backup.verified);
  if (newestVerified) add(newestVerified, 'newest verified backup');

  const plan: RetentionPlan<T> = { keep: [], expire: [] };
  for (const backup of sorted) {
    const why = reasons.get(backup.id) ?? [];
    if (why.length > 0) plan.keep.push({ backup, keep: true, reasons: why });
    else plan.expire.push({ backup, keep: false, reasons: ['matched no retention rule'] });
  }
  return plan;
}
