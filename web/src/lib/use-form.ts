import { useCallback, useState } from 'react';
import { useTranslation } from 'react-i18next';

import { ApiError } from '../api/http.js';
import { serverFieldText } from '../components/field-error.js';

export type Errors = Record<string, string | undefined>;
/** A rule returns an i18n key (or message) when the value is wrong. */
export type Validate<V> = (values: V) => Errors;

/**
 * Small form state: values, client-side errors that mirror the API's rules, and server
 * field errors (`details.fields`) mapped next to the matching inputs.
 */
export function useForm<V extends Record<string, unknown>>(initial: V, validate: Validate<V>) {
  const { t } = useTranslation();
  const [values, setValues] = useState<V>(initial);
  const [errors, setErrors] = useState<Errors>({});
  // A sentence of ours (string) or the server's error, shown by FormErrorAlert.
  const [formError, setFormError] = useState<unknown>(null);

  const set = useCallback(<K extends keyof V>(key: K, value: V[K]) => {
    setValues((previous) => ({ ...previous, [key]: value }));
    setErrors((previous) => (previous[key as string] ? { ...previous, [key as string]: undefined } : previous));
  }, []);

  const check = useCallback((): boolean => {
    const found = Object.fromEntries(Object.entries(validate(values)).filter(([, message]) => Boolean(message)));
    setErrors(found);
    setFormError(null);
    return Object.keys(found).length === 0;
  }, [validate, values]);

  /** Shows an API failure: field errors beside fields, anything else above the form. */
  const showServerError = useCallback((error: unknown) => {
    if (error instanceof ApiError) {
      const fields = Object.entries(error.fieldErrors);
      if (fields.length > 0) setErrors(Object.fromEntries(fields.map(([key, field]) => [key, serverFieldText(t, field)])));
    }
    setFormError(error);
  }, [t]);

  return { values, setValues, set, errors, setErrors, formError, setFormError, check, showServerError };
}
