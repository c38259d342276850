import type { Run } from '../api/runs.js';

/**
 * Run kinds whose executor does not measure bytes (a restore reads archives of a compressed
 * size unrelated to what it writes): their byte figures are 0 by default, not a measurement,
 * so the UI shows "—" instead of "0 B".
 */
const bytesNotReported: ReadonlySet<Run['kind']> = new Set(['restore']);

export function reportedBytes(kind: Run['kind'], bytes: number): number | null {
  return bytesNotReported.has(kind) ? null : bytes;
}

/** The title of a run: a restore names the database it restored into; others their job. */
export function runTitle(run: Pick<Run, 'kind' | 'job_name'> & { params?: Record<string, unknown> }): { key: string; values: Record<string, string> } | null {
  if (run.kind === 'restore') {
    if (run.params?.physical === true && typeof run.params.to_dir === 'string') return { key: 'runs.restoreToDir', values: { dir: run.params.to_dir } };
    const database = run.params?.target_database ?? run.params?.database;
    if (typeof database === 'string' && database !== '') return { key: 'runs.restoreInto', values: { database } };
  }
  return null;
}
