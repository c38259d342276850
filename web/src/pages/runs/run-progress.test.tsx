import { describe, expect, it } from 'vitest';

import type { Backup } from '../../api/backups.js';
import type { Run, RunListItem } from '../../api/runs.js';
import { backupAges, summarizeRuns } from '../../lib/dashboard-stats.js';
import { mergeProgress } from './run-progress.js';

const baseListItem: RunListItem = {
  id: 'r1', kind: 'sync', job_id: 'j', sync_job_id: 'j', backup_job_id: null, job_name: 'nightly', trigger: 'manual', status: 'running',
  scheduled_for: null, queued_at: '2026-01-01T00:00:00Z', started_at: '2026-01-01T00:00:00Z', finished_at: null, duration_ms: null,
  heartbeat_at: null, worker_id: null, attempt: 1, retry_of: null, resume_of: null, total_rows: 0, total_bytes: 0,
  error_code: null, error_message: null, cancel_requested_at: null, created_by: null,
};
const baseRun: Run = { ...baseListItem, tables: [], missing_objects: [], params: {}, error_stack: null };

describe('run progress', () => {
  it('merges stored and live figures and derives rate and ETA', () => {
    const run = { ...baseRun, tables: [{ schema: 'public', name: 'orders', status: 'running', rows: 100, estimated_rows: 1000 }, { name: 'public.users', status: 'succeeded', rows: 5 }] };
    const now = new Date('2026-01-01T00:00:10Z').getTime();
    const merged = mergeProgress(run, { 'public.orders': { rows: 500 } }, now);
    const orders = merged.find((table) => table.name === 'public.orders');
    expect(orders).toMatchObject({ rows: 500, total: 1000, fraction: 0.5, rate: 50 });
    expect(orders?.etaMs).toBe(10_000);
    expect(merged.find((table) => table.name === 'public.users')).toMatchObject({ fraction: 1, etaMs: null });
  });
});

describe('dashboard stats', () => {
  it('buckets runs per day and computes the success rate', () => {
    const now = new Date('2026-01-10T12:00:00Z');
    const runs: RunListItem[] = [
      { ...baseListItem, id: 'a', status: 'succeeded', started_at: '2026-01-10T01:00:00Z', finished_at: '2026-01-10T01:00:10Z', total_rows: 1000, total_bytes: 10 },
      { ...baseListItem, id: 'b', status: 'failed', started_at: '2026-01-09T01:00:00Z', finished_at: '2026-01-09T01:00:01Z', total_rows: 0 },
      { ...baseListItem, id: 'c', status: 'succeeded', started_at: '2025-11-01T01:00:00Z', finished_at: '2025-11-01T01:00:01Z', total_rows: 7 },
    ];
    const summary = summarizeRuns(runs, 14, now);
    expect(summary.days).toHaveLength(14);
    expect(summary.days.at(-1)).toMatchObject({ day: '2026-01-10', succeeded: 1 });
    expect(summary.days.at(-2)).toMatchObject({ day: '2026-01-09', failed: 1 });
    expect(summary.successRate).toBe(0.5);
    expect(summary.rows).toBe(1000);
    expect(summary.throughput).toBe(100);
  });

  it('marks a database overdue when its daily schedule missed a tick', () => {
    const backup = (database: string, created_at: string, job = 'job'): Backup => ({
      id: database + created_at, run_id: null, backup_job_id: job, connection_id: null, storage_id: 's', database_name: database, location: 'x',
      format: 'native', compression: 'gzip', encrypted: false, size_bytes: 1, files: [], tables: [], source_server_version: null, state: 'complete',
      verified_at: null, drill_at: null, drill_result: null, expired_at: null, created_at,
    });
    const now = new Date('2026-01-10T12:00:00Z');
    const ages = backupAges([backup('shop', '2026-01-10T02:00:05Z'), backup('crm', '2026-01-07T02:00:05Z'), backup('crm', '2026-01-05T02:00:05Z')], { job: { cron: '0 2 * * *', timezone: 'UTC' } }, now);
    expect(ages.map((age) => [age.database, age.overdue])).toEqual([
      ['crm', true],
      ['shop', false],
    ]);
  });
});
