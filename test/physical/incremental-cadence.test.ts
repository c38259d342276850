import { describe, expect, it } from 'vitest';

import { incrementalsSinceFull } from '../../src/engine/backup/incremental-cadence.js';
import type { PhysicalBackupSummary } from '../../src/engine/physical/list-physical-backups.js';

const backup = (path: string, parent?: string): PhysicalBackupSummary => ({
  path,
  systemId: '1',
  serverMajor: 17,
  timeline: 1,
  startLsn: '0/1',
  endLsn: '0/2',
  startedAt: path,
  finishedAt: path,
  walIncluded: true,
  label: path,
  sizeBytes: 1,
  ...(parent ? { parent } : {}),
});

describe('incrementalsSinceFull', () => {
  const all = [backup('job/a'), backup('job/b', 'job/a'), backup('job/c', 'job/b'), backup('job/d', 'job/gone')];

  it('counts the incrementals back to the full backup', () => {
    expect(incrementalsSinceFull(all, all[0]!)).toBe(0);
    expect(incrementalsSinceFull(all, all[1]!)).toBe(1);
    expect(incrementalsSinceFull(all, all[2]!)).toBe(2);
  });

  it('names the missing parent of a cut chain, and stops on a loop', () => {
    expect(incrementalsSinceFull(all, all[3]!)).toEqual({ missing: 'job/gone' });
    const loop = [backup('x', 'y'), backup('y', 'x')];
    expect(incrementalsSinceFull(loop, loop[0]!)).toEqual(expect.objectContaining({ missing: expect.any(String) }));
  });
});
