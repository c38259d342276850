import type { TFunction } from 'i18next';

import { ApiError } from '../api/http.js';

/** What the UI shows for a failure: a message in the user's language, the server's own text below it. */
export interface ShownError {
  message: string;
  /** The server's (English) message when `message` is a translation of its code; else null. */
  details: string | null;
  code: string | null;
  requestId: string | null;
}

/**
 * Error codes are stable (src/errors/error-codes.ts) and each has `errors.codes.<CODE>` in both
 * locales, so the headline never depends on the server's English wording.
 */
export function describeError(error: unknown, t: TFunction, exists: (key: string) => boolean): ShownError {
  // An ApiError, or a `{code, message}` the API returns inside a result (a connection test).
  const coded = error instanceof ApiError || (typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'string');
  if (coded) {
    const { code, message = '' } = error as { code: string; message?: string };
    const key = `errors.codes.${code}`;
    const translated = exists(key);
    return {
      message: translated ? t(key) : message || code,
      details: translated && message && message !== t(key) ? message : null,
      code: code.startsWith('PGF_') ? code : null,
      requestId: error instanceof ApiError ? (error.requestId ?? null) : null,
    };
  }
  return { message: error instanceof Error ? error.message : String(error), details: null, code: null, requestId: null };
}
