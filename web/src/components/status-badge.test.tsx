import { screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';

import type { RunListItem } from '../api/runs.js';
import { summarizeRuns } from '../lib/dashboard-stats.js';
import { MissingObjects } from '../pages/runs/run-detail-page.js';
import { renderUi } from '../test/render.js';
import { StatusBadge } from './status-badge.js';

/** The Mantine colour a badge was given, read from its CSS variables. */
const badgeColour = (element: HTMLElement) => /--mantine-color-([a-z]+)-/.exec(element.getAttribute('style') ?? '')?.[1];

describe('run status badge', () => {
  it('shows incomplete in a warning colour, never as a success', () => {
    renderUi(
      <>
        <StatusBadge status="incomplete" />
        <StatusBadge status="succeeded" />
      </>,
    );
    const incomplete = screen.getByText('Incomplete').closest<HTMLElement>('[data-status]')!;
    expect(incomplete.dataset.status).toBe('incomplete');
    expect(badgeColour(incomplete)).toBe('orange');
    expect(badgeColour(screen.getByText('Succeeded').closest<HTMLElement>('[data-status]')!)).toBe('green');
  });

  it('says 未完成 in Chinese', () => {
    renderUi(<StatusBadge status="incomplete" />, { language: 'zh-CN' });
    expect(screen.getByText('未完成').closest<HTMLElement>('[data-status]')!.dataset.status).toBe('incomplete');
  });
});

describe('run detail: missing objects', () => {
  it('lists each object with its reason, and nothing when the run reproduced everything', () => {
    const { container } = renderUi(<MissingObjects items={[]} />);
    expect(container.querySelector('[data-testid="run-missing-objects"]')).toBeNull();
    renderUi(
      <MissingObjects
        items={[
          { object: 'extension postgis', reason: 'extension postgis is not installed on the destination server (install its package there)' },
          { object: 'event trigger "audit_ddl"', reason: 'creating it needs a superuser on the destination' },
        ]}
      />,
    );
    const list = screen.getByTestId('run-missing-objects');
    expect(list.textContent).toContain('Not reproduced on the destination');
    const rows = [...list.querySelectorAll('tr')].map((row) => [...row.querySelectorAll('td')].map((cell) => cell.textContent));
    expect(rows).toEqual([
      ['extension postgis', 'extension postgis is not installed on the destination server (install its package there)'],
      ['event trigger "audit_ddl"', 'creating it needs a superuser on the destination'],
    ]);
  });
});

describe('dashboard chart data', () => {
  it('counts incomplete runs in their own series and not as successes', () => {
    const base: Omit<RunListItem, 'id' | 'status'> = {
      kind: 'sync', job_id: null, sync_job_id: null, backup_job_id: null, job_name: 'j', trigger: 'manual', scheduled_for: null, queued_at: '2026-01-10T01:00:00Z',
      started_at: '2026-01-10T01:00:00Z', finished_at: '2026-01-10T01:00:10Z', duration_ms: 10_000, heartbeat_at: null, worker_id: null, attempt: 1,
      retry_of: null, resume_of: null, total_rows: 0, total_bytes: 0, error_code: null, error_message: null, cancel_requested_at: null, created_by: null,
    };
    const runs: RunListItem[] = [
      { ...base, id: 'a', status: 'succeeded' },
      { ...base, id: 'b', status: 'incomplete' },
    ];
    const summary = summarizeRuns(runs, 3, new Date('2026-01-10T12:00:00Z'));
    expect(summary.days.at(-1)).toMatchObject({ day: '2026-01-10', succeeded: 1, incomplete: 1, failed: 0 });
    expect(summary.successRate).toBe(0.5);
  });
});
