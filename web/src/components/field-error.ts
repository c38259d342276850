import type { TFunction } from 'i18next';

/** Client errors are i18n keys; server errors are already sentences: translate only keys. */
export function errorText(t: TFunction, error: string | undefined): string | undefined {
  if (!error) return undefined;
  return error.startsWith('validation.') ? t(error) : error;
}
