// Field names whose values never reach the audit log, at any depth: passwords, secrets,
// tokens, keys (access keys, encryption keys, private keys), credentials and URLs that can
// embed a password, one-time and recovery codes. Over-redacting a harmless field is the cheaper mistake.
const secretField = /pass(word|phrase)?|secret|token|key|credential|authorization|cookie|private|(^|_)(url|dsn|uri|codes?)$|connection_?string/i;
// Objects whose every value is a secret whatever its name: a webhook's custom headers
// (`X-Api-Key`, `X-Custom-Auth`, …) carry credentials under names no pattern can foresee.
const secretValuesField = /^headers$/i;

const maxDepth = 20;
const maxStringLength = 2000;
const maxArrayItems = 200;

export const redactedValue = '[redacted]';

// A UTF-16 surrogate without its pair: valid in a JS string, refused by jsonb.
const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const wellFormed = (text: string): string => text.replace(loneSurrogate, '\uFFFD');

/** Text any audit column can hold: lone surrogates replaced, NUL characters (refused by PostgreSQL) removed. */
export function storableText(text: string): string {
  return wellFormed(text).replaceAll('\u0000', '');
}

/** A copy of a request body fit for the audit log: secrets replaced, sizes bounded. */
export function redactBody(value: unknown, depth = 0): unknown {
  if (value === null || value === undefined) return value ?? null;
  if (depth > maxDepth) return '[too deep]';
  if (typeof value === 'string') {
    // A postgres://USER:PASSWORD@host URL in a free-text field still loses its password.
    // toWellFormed: a lone UTF-16 surrogate is no valid JSON for jsonb, and would lose the row.
    const scrubbed = wellFormed(value).replaceAll('\u0000', '').replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^:/@\s]*:)[^@\s]*@/gi, `$1${redactedValue}@`);
    return scrubbed.length > maxStringLength ? `${scrubbed.slice(0, maxStringLength)}…` : scrubbed;
  }
  if (typeof value === 'number' || typeof value === 'boolean') return value;
  if (Array.isArray(value)) {
    const items = value.slice(0, maxArrayItems).map((item) => redactBody(item, depth + 1));
    if (value.length > maxArrayItems) items.push(`[${value.length - maxArrayItems} more]`);
    return items;
  }
  if (typeof value === 'object') {
    if (Buffer.isBuffer(value)) return `[${value.length} bytes]`;
    if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
    // Streams, files of multipart uploads and other class instances are not request data to keep.
    const prototype = Object.getPrototypeOf(value) as unknown;
    if (prototype !== Object.prototype && prototype !== null) return `[${(value as object).constructor?.name ?? 'object'}]`;
    const out: Record<string, unknown> = {};
    for (const [field, item] of Object.entries(value as Record<string, unknown>)) {
      const name = wellFormed(field).replaceAll('\u0000', '');
      if (secretField.test(field) && item !== null && item !== undefined && item !== '') out[name] = redactedValue;
      else if (secretValuesField.test(field) && item !== null && item !== undefined) out[name] = isPlainObject(item) ? redactAllValues(item) : redactedValue;
      else out[name] = redactBody(item, depth + 1);
    }
    return out;
  }
  return String(value);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
}

/** Keeps the names (what an auditor needs: which header was set or removed), hides every value. */
function redactAllValues(values: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, item] of Object.entries(values).slice(0, maxArrayItems)) {
    out[wellFormed(name).replaceAll('\u0000', '').slice(0, maxStringLength)] = item === null || item === undefined || item === '' ? (item ?? null) : redactedValue;
  }
  return out;
}
