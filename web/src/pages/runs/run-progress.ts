import type { Run, RunTable } from '../../api/runs.js';

export interface TableProgress {
  name: string;
  status: string;
  rows: number;
  total: number | null;
  bytes: number;
  fraction: number | null;
  rate: number | null;
  etaMs: number | null;
  error: string | null;
}

function num(value: unknown): number | null {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  return null;
}

/** The schema leaves an entry open; any object is read as figures (RunTable's fields are all optional). */
function isTable(value: unknown): value is RunTable {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function nameOf(table: RunTable): string {
  const name = table.name ?? table.table ?? '?';
  return table.schema && !name.includes('.') ? `${table.schema}.${name}` : name;
}

/**
 * Merges the stored per-table figures of a run with live SSE figures (newer wins) and
 * derives fraction, rate and ETA. Pure, so it is unit-tested.
 */
export function mergeProgress(run: Run, live: Record<string, RunTable>, now = Date.now()): TableProgress[] {
  const byName = new Map<string, RunTable>();
  for (const table of run.tables.filter(isTable)) byName.set(nameOf(table), table);
  for (const [name, table] of Object.entries(live)) byName.set(name, { ...byName.get(name), ...table });
  const started = run.started_at ? new Date(run.started_at).getTime() : null;
  return [...byName.entries()].map(([name, table]) => {
    const rows = num(table.rows ?? table.rows_copied ?? table.rows_done) ?? 0;
    const total = num(table.total_rows ?? table.estimated_rows ?? table.rows_total);
    const bytes = num(table.bytes ?? table.bytes_copied) ?? 0;
    const status = String(table.status ?? (rows > 0 ? 'running' : 'pending'));
    const done = status === 'succeeded' || status === 'done' || status === 'skipped';
    const fraction = done ? 1 : total && total > 0 ? Math.min(1, rows / total) : null;
    const elapsedS = started ? Math.max(0.001, (now - started) / 1000) : null;
    const rate = num(table.rows_per_s ?? table.rate) ?? (elapsedS && rows > 0 && !done ? rows / elapsedS : null);
    const etaMs = !done && rate && total && total > rows ? ((total - rows) / rate) * 1000 : null;
    const error = typeof table.error === 'string' ? table.error : table.error ? JSON.stringify(table.error) : null;
    return { name, status, rows, total, bytes, fraction, rate, etaMs, error };
  });
}
