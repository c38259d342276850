import { describe, expect, it } from 'vitest';

import { reportedBytes, runTitle } from './run-figures.js';

describe('run figures', () => {
  it('treats the bytes of a restore as not reported, and keeps 0 for the kinds that measure them', () => {
    expect(reportedBytes('restore', 0)).toBeNull();
    expect(reportedBytes('sync', 0)).toBe(0);
    expect(reportedBytes('backup', 2048)).toBe(2048);
  });

  it('titles a restore with the database it restored into', () => {
    expect(runTitle({ kind: 'restore', job_name: 'restore app → staging', params: { target_database: 'app_copy', connection_id: 'c' } })).toEqual({
      key: 'runs.restoreInto',
      values: { database: 'app_copy' },
    });
    // Runs queued before target_database existed: the created database, else the job name.
    expect(runTitle({ kind: 'restore', job_name: 'x', params: { create: true, database: 'fresh' } })?.values.database).toBe('fresh');
    expect(runTitle({ kind: 'restore', job_name: 'x', params: {} })).toBeNull();
    expect(runTitle({ kind: 'sync', job_name: 'nightly' })).toBeNull();
  });
});
