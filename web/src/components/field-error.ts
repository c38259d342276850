import type { TFunction } from 'i18next';

import type { FieldError } from '../api/http.js';

/** Client errors are i18n keys; server errors are already sentences: translate only keys. */
export function errorText(t: TFunction, error: string | undefined): string | undefined {
  if (!error) return undefined;
  return error.startsWith('validation.') ? t(error) : error;
}

/**
 * A server field error in the user's language: its code (with zod's origin, e.g.
 * too_small_string) picks the text; the server's English text is the fallback.
 */
export function serverFieldText(t: TFunction, error: FieldError): string {
  // A refinement without a code of its own says more in its message than any generic text.
  if (!error.code || error.code === 'custom') return error.message;
  const origin = typeof error.params?.origin === 'string' ? error.params.origin : undefined;
  const keys = [...(origin ? [`validation.server.${error.code}_${origin}`] : []), `validation.server.${error.code}`];
  return t(keys, { ...error.params, defaultValue: error.message });
}
