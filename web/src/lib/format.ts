/** Number and time formatting in the user's language. */

/**
 * The one byte formatter of the UI. Binary units (KiB, MiB, GiB), like the server and the CLI
 * (src/engine/format-bytes.ts), so a figure from the API and one from the UI never disagree.
 */
export function formatBytes(bytes: number | null | undefined, language = 'en'): string {
  if (bytes === null || bytes === undefined || Number.isNaN(bytes)) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let value = Number(bytes);
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${new Intl.NumberFormat(language, { maximumFractionDigits: unit === 0 ? 0 : 1 }).format(value)} ${units[unit]}`;
}

export function formatNumber(value: number | null | undefined, language = 'en'): string {
  if (value === null || value === undefined || Number.isNaN(value)) return '—';
  return new Intl.NumberFormat(language, { maximumFractionDigits: 1 }).format(Number(value));
}

export function formatDateTime(value: string | Date | null | undefined, language = 'en', timeZone?: string): string {
  if (!value) return '—';
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) return '—';
  return new Intl.DateTimeFormat(language, { dateStyle: 'medium', timeStyle: 'medium', ...(timeZone ? { timeZone } : {}) }).format(date);
}

/**
 * "2026-12-05 02:00" as the clock reads in `timeZone`: a job's schedule is defined in its own
 * zone, so its next run is shown there (the browser's local time goes in a tooltip).
 */
export function formatInTimeZone(value: string | Date | null | undefined, timeZone: string): string {
  if (!value) return '—';
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) return '—';
  try {
    const parts = Object.fromEntries(
      new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
        .formatToParts(date)
        .map((part) => [part.type, part.value]),
    );
    return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}`;
  } catch {
    // An unknown zone name (the server checks them; old rows may predate that): show UTC.
    return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  }
}

/** "3 h", "2 d" — short and language-aware. */
export function formatDuration(ms: number | null | undefined, language = 'en'): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  const seconds = Math.max(0, ms / 1000);
  const pick: [number, Intl.RelativeTimeFormatUnit][] = [
    [86400, 'day'],
    [3600, 'hour'],
    [60, 'minute'],
    [1, 'second'],
  ];
  for (const [size, unit] of pick) {
    if (seconds >= size || unit === 'second') {
      return new Intl.NumberFormat(language, { style: 'unit', unit, unitDisplay: 'short', maximumFractionDigits: size >= 3600 ? 1 : 0 }).format(
        seconds / size,
      );
    }
  }
  return '—';
}

export function runDurationMs(startedAt: string | null, finishedAt: string | null, now = Date.now()): number | null {
  if (!startedAt) return null;
  const end = finishedAt ? new Date(finishedAt).getTime() : now;
  return end - new Date(startedAt).getTime();
}

// Bidirectional controls (U+200E/F, U+202A–U+202E, U+2066–U+2069) reorder how text displays:
// "invoice\u202Egpj.exe" shows as "invoiceexe.jpg". The API refuses them in names now; names
// stored before that are shown with each control spelled out instead of obeyed.
const bidiControls = /[\u200E\u200F\u202A-\u202E\u2066-\u2069]/g;

/** A stored name fit for display: bidi controls made visible as `[U+202E]`. */
export function visibleName(name: string): string;
export function visibleName(name: string | null | undefined): string | null | undefined;
export function visibleName(name: string | null | undefined): string | null | undefined {
  if (!name) return name;
  return name.replace(bidiControls, (control) => `[U+${control.codePointAt(0)!.toString(16).toUpperCase()}]`);
}
