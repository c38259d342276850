import { describe, expect, it } from 'vitest';

import { emptyFollowJob, toFollowJobInput, validateFollowJob } from './follow-job-values.js';

const src = '11111111-1111-4111-8111-111111111111';
const dst = '22222222-2222-4222-8222-222222222222';
const valid = { ...emptyFollowJob, name: 'orders-follow', source_connection_id: src, destination_connection_id: dst };

describe('the continuous-sync job form', () => {
  it('sends the sync form’s tables, filters and rules without modes, cursors or a schedule, thresholds in bytes', () => {
    const input = toFollowJobInput({
      ...valid,
      tables: ['sales.orders'],
      table_options: { 'sales.orders': { mode: 'upsert', cursor_column: 'updated_at', where: 'region = 1', columns: { email: 'hash' } } },
      retained_mib_alert: 512,
      lag_seconds_alert: 30,
    });
    expect(input).toMatchObject({
      name: 'orders-follow',
      selection: { tables: ['sales.orders'] },
      table_options: { 'sales.orders': { where: 'region = 1', columns: { email: 'hash' } } },
      retained_bytes_alert: 512 * 1024 * 1024,
      lag_seconds_alert: 30,
    });
    expect(input.table_options?.['sales.orders']).not.toHaveProperty('mode');
    expect(input.table_options?.['sales.orders']).not.toHaveProperty('cursor_column');
    for (const field of ['cron', 'default_mode', 'retry_max', 'timeout_s', 'verify']) expect(input).not.toHaveProperty(field);
  });

  it('checks what the sync form checks, and that thresholds are positive whole numbers', () => {
    expect(validateFollowJob(valid)).toEqual({});
    expect(validateFollowJob({ ...valid, destination_connection_id: src }).destination_connection_id).toBe('validation.sameConnection');
    expect(validateFollowJob({ ...valid, retained_mib_alert: 0, lag_seconds_alert: 1.5 })).toMatchObject({ retained_mib_alert: 'validation.positive', lag_seconds_alert: 'validation.positive' });
    expect(toFollowJobInput({ ...valid, retained_mib_alert: '', lag_seconds_alert: '' })).toMatchObject({ retained_bytes_alert: null, lag_seconds_alert: null });
  });
});
