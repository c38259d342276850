import type { EngineEvent, SyncResult } from '../../engine/types.js';
import { formatBytes } from '../../engine/format-bytes.js';

const formatCount = (n: number): string => (n >= 1_000_000 ? `${(n / 1_000_000).toFixed(1)}M` : n >= 10_000 ? `${Math.round(n / 1000)}k` : String(n));

/**
 * Turns engine events into output: a redrawn progress bar on a terminal, one plain line per
 * table otherwise, or the events themselves as JSON lines.
 */
export function createProgressReporter(mode: 'tty' | 'plain' | 'json', write: (text: string) => void = (t) => process.stderr.write(t)) {
  let estimatedRows = 0;
  let estimatedBytes = 0;
  let tables = 0;
  let done = 0;
  const bytes = new Map<string, number>();
  const rows = new Map<string, number>();
  const active = new Set<string>();
  const started = Date.now();
  let lastDraw = 0;

  const draw = (force = false) => {
    const now = Date.now();
    if (!force && now - lastDraw < 150) return;
    lastDraw = now;
    const totalBytes = [...bytes.values()].reduce((a, b) => a + b, 0);
    const totalRows = [...rows.values()].reduce((a, b) => a + b, 0);
    const fraction = estimatedBytes > 0 ? Math.min(1, totalBytes / estimatedBytes) : done / Math.max(1, tables);
    const width = 24;
    const filled = Math.round(fraction * width);
    const seconds = (now - started) / 1000;
    const rate = seconds > 0 ? totalBytes / seconds : 0;
    const eta = rate > 0 && fraction > 0 && fraction < 1 ? `${Math.ceil((estimatedBytes - totalBytes) / rate)}s` : '–';
    const current = [...active].slice(0, 2).join(', ');
    write(
      `\r\x1b[2K[${'='.repeat(filled)}${' '.repeat(width - filled)}] ${Math.round(fraction * 100)}% ${done}/${tables} tables · ${formatCount(totalRows)}/${formatCount(estimatedRows)} rows · ${formatBytes(totalBytes)} · ${formatBytes(rate)}/s · ETA ${eta}${current ? ` · ${current}` : ''}`,
    );
  };

  return (event: EngineEvent): void => {
    if (mode === 'json') {
      write(`${JSON.stringify(event)}\n`);
      return;
    }
    switch (event.type) {
      case 'run:start':
        tables = event.tables;
        estimatedRows = event.estimatedRows;
        estimatedBytes = event.estimatedBytes;
        if (mode === 'plain') write(`run ${event.runId}: ${event.tables} tables, ~${formatCount(event.estimatedRows)} rows, ~${formatBytes(event.estimatedBytes)}\n`);
        break;
      case 'table:start':
        active.add(event.table);
        if (mode === 'plain' && event.attempt === 1) write(`start ${event.table} (${event.mode}, ~${formatCount(event.estimatedRows)} rows)\n`);
        break;
      case 'table:progress':
        bytes.set(event.table, event.bytes);
        rows.set(event.table, event.rows);
        if (mode === 'tty') draw();
        break;
      case 'table:retry':
        if (mode === 'tty') write('\r\x1b[2K');
        write(`retry ${event.table}: attempt ${event.attempt} failed (${event.code}: ${event.message}); again in ${event.delayMs} ms\n`);
        break;
      case 'table:done': {
        done++;
        active.delete(event.table);
        const r = event.result;
        bytes.set(event.table, r.bytes);
        rows.set(event.table, r.rows);
        if (mode === 'tty') write('\r\x1b[2K');
        const detail =
          r.status === 'succeeded'
            ? `${r.rows} rows read, ${r.written} written${r.deleted ? ` (${r.deleted} deleted)` : ''}, ${formatBytes(r.bytes)}, ${(r.durationMs / 1000).toFixed(1)} s`
            : r.status === 'failed'
              ? `${r.error?.message ?? 'failed'} [${r.error?.code ?? ''}]`
              : (r.reason ?? '');
        write(`${r.status.padEnd(9)} ${r.table}: ${detail}\n`);
        if (mode === 'tty') draw(true);
        break;
      }
      case 'schema:warning':
        if (mode === 'tty') write('\r\x1b[2K');
        write(`warning: ${event.message}\n`);
        break;
      case 'run:done':
        if (mode === 'tty') write('\r\x1b[2K');
        break;
      default:
        break;
    }
  };
}

export function summaryLine(result: SyncResult): string {
  const t = result.totals;
  return `${result.status}: ${t.succeeded} succeeded, ${t.failed} failed, ${t.skipped} skipped; ${t.rows} rows read, ${t.written} written, ${formatBytes(t.bytes)} in ${(t.durationMs / 1000).toFixed(1)} s (run ${result.runId})`;
}
