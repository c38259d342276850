import type { ChecksumRange, KeyValue } from '../checksum/checksum-types.js';

function keyText(key: readonly string[], value: KeyValue): string {
  const parts = key.map((name, index) => `${name}=${JSON.stringify(value[index] ?? null)}`);
  return parts.length === 1 ? (parts[0] as string) : `(${parts.join(', ')})`;
}

/**
 * A range for people: `id >= 1000 and id < 2000`, `(a, b) from (a=1, b="x") up to …`,
 * `whole table`, or the row-hash interval for tables without a key.
 */
export function describeRange(range: ChecksumRange, key: readonly string[] | null): string {
  if (range.kind === 'hash') {
    const whole = range.lower === (-(2n ** 63n)).toString() && range.upper === (2n ** 63n - 1n).toString();
    return whole ? 'whole table (no key)' : `rows whose hash is in [${range.lower}, ${range.upper}] (no key)`;
  }
  if (key === null) return 'whole table';
  if (range.lower === null && range.upper === null) return 'whole table';
  const bounds: string[] = [];
  if (range.lower !== null) bounds.push(`from ${keyText(key, range.lower)}`);
  if (range.upper !== null) bounds.push(`before ${keyText(key, range.upper)}`);
  return `key ${bounds.join(' ')}`;
}
