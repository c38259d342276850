import { PgferryError } from '../../errors/pgferry-error.js';

const secondsPer: Record<string, number> = { '': 1, s: 1, m: 60, h: 3600, d: 86_400 };
const bytesPer: Record<string, number> = { '': 1, b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3, tb: 1024 ** 4 };

/** `60s`, `5m`, `1h`, `90` (seconds); `off` for no threshold. */
export function thresholdSeconds(flag: string, text: string): number | null {
  if (text === 'off') return null;
  const match = /^(\d+)\s*([smhd]?)$/i.exec(text.trim());
  const value = match ? Number(match[1]) * (secondsPer[match[2]!.toLowerCase()] ?? 0) : 0;
  if (!Number.isSafeInteger(value) || value < 1 || value > 30 * 86_400) {
    throw new PgferryError('PGF_VALIDATION_FAILED', `${flag}: expected a duration from 1s to 30d such as 60s, 5m or 1h (or off), got "${text}"`);
  }
  return value;
}

/** `10GB`, `512MB`, `1073741824` (bytes; binary units); `off` for no threshold. */
export function thresholdBytes(flag: string, text: string): number | null {
  if (text === 'off') return null;
  const match = /^(\d+(?:\.\d+)?)\s*([kmgt]?b?)$/i.exec(text.trim());
  const value = match ? Math.round(Number(match[1]) * (bytesPer[match[2]!.toLowerCase()] ?? 0)) : 0;
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new PgferryError('PGF_VALIDATION_FAILED', `${flag}: expected a size such as 512MB or 10GB (or off), got "${text}"`);
  }
  return value;
}
