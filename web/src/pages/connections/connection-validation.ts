import type { ConnectionInput, SslMode } from '../../api/connections.js';
import type { Errors } from '../../lib/use-form.js';

export interface ConnectionFormValues extends Record<string, unknown> {
  inputMode: 'url' | 'fields';
  name: string;
  description: string;
  url: string;
  host: string;
  port: number | '';
  database: string;
  username: string;
  password: string;
  sslmode: SslMode;
  application_name: string;
  connect_timeout_s: number | '';
  protected: boolean;
  tags: string[];
}

export const emptyConnection: ConnectionFormValues = {
  inputMode: 'fields',
  name: '',
  description: '',
  url: '',
  host: '',
  port: 5432,
  database: '',
  username: '',
  password: '',
  sslmode: 'prefer',
  application_name: '',
  connect_timeout_s: '',
  protected: false,
  tags: [],
};

/** The same limits the API and the store enforce (migration 0001 CHECKs). */
export function validateConnection(values: ConnectionFormValues): Errors {
  const errors: Errors = {};
  const name = values.name.trim();
  if (!name) errors.name = 'validation.required';
  else if (name.length > 100) errors.name = 'validation.tooLong100';
  if (values.description.length > 2000) errors.description = 'validation.tooLong2000';
  if (values.inputMode === 'url') {
    const url = values.url.trim();
    if (!url) errors.url = 'validation.required';
    else if (!/^postgres(ql)?:\/\//i.test(url)) errors.url = 'validation.postgresUrl';
    else {
      try {
        const parsed = new URL(url);
        if (!parsed.hostname) errors.url = 'validation.postgresUrl';
      } catch {
        errors.url = 'validation.postgresUrl';
      }
    }
    return errors;
  }
  if (!values.host.trim()) errors.host = 'validation.required';
  else if (values.host.length > 255) errors.host = 'validation.tooLong255';
  if (values.port === '' || !Number.isInteger(values.port) || values.port < 1 || values.port > 65535) errors.port = 'validation.port';
  if (!values.database.trim()) errors.database = 'validation.required';
  else if (values.database.length > 63) errors.database = 'validation.tooLong63';
  if (!values.username.trim()) errors.username = 'validation.required';
  else if (values.username.length > 63) errors.username = 'validation.tooLong63';
  if (values.connect_timeout_s !== '' && (values.connect_timeout_s < 1 || values.connect_timeout_s > 600)) {
    errors.connect_timeout_s = 'validation.timeout600';
  }
  if (values.application_name.length > 63) errors.application_name = 'validation.tooLong63';
  return errors;
}

export function toConnectionInput(values: ConnectionFormValues): ConnectionInput {
  const common = {
    name: values.name.trim(),
    description: values.description.trim() || null,
    protected: values.protected,
    tags: values.tags,
  };
  if (values.inputMode === 'url') return { ...common, url: values.url.trim() };
  return {
    ...common,
    host: values.host.trim(),
    port: Number(values.port),
    database: values.database.trim(),
    user: values.username.trim(),
    ...(values.password ? { password: values.password } : {}),
    sslmode: values.sslmode,
    application_name: values.application_name.trim() || null,
    connect_timeout: values.connect_timeout_s === '' ? null : Number(values.connect_timeout_s),
  };
}
