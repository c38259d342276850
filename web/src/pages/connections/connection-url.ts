import { isOneOf } from '../../api/api-schema.js';
import { sslModes } from '../../api/connections.js';
import type { ConnectionFormValues } from './connection-validation.js';

type UrlFields = Pick<ConnectionFormValues, 'host' | 'port' | 'database' | 'username' | 'password' | 'sslmode' | 'application_name' | 'connect_timeout_s'>;

const decode = (text: string) => {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
};

/**
 * The fields of a `postgres://user:password@host:port/db?sslmode=…` URL, so switching the form
 * from URL to fields keeps what was typed. Null when the text is not such a URL.
 */
export function fieldsFromUrl(text: string): UrlFields | null {
  const url = text.trim();
  if (!/^postgres(ql)?:\/\//i.test(url)) return null;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (!parsed.hostname) return null;
  const query = parsed.searchParams;
  const sslmode = query.get('sslmode');
  const timeout = Number(query.get('connect_timeout'));
  return {
    host: decode(parsed.hostname.replace(/^\[(.*)\]$/, '$1')),
    port: parsed.port ? Number(parsed.port) : 5432,
    database: decode(parsed.pathname.replace(/^\//, '')),
    username: decode(parsed.username),
    password: decode(parsed.password),
    sslmode: isOneOf(sslModes, sslmode) ? sslmode : 'prefer',
    application_name: query.get('application_name') ?? '',
    connect_timeout_s: Number.isInteger(timeout) && timeout > 0 ? timeout : '',
  };
}

/** The URL the fields describe (the other direction of the switch). */
export function urlFromFields(values: UrlFields): string {
  const host = values.host.trim();
  if (!host) return '';
  const user = values.username.trim();
  const auth = user ? `${encodeURIComponent(user)}${values.password ? `:${encodeURIComponent(values.password)}` : ''}@` : '';
  const hostPart = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  const query = new URLSearchParams();
  if (values.sslmode && values.sslmode !== 'prefer') query.set('sslmode', values.sslmode);
  if (values.application_name.trim()) query.set('application_name', values.application_name.trim());
  if (values.connect_timeout_s !== '') query.set('connect_timeout', String(values.connect_timeout_s));
  const search = query.toString();
  return `postgres://${auth}${hostPart}:${values.port === '' ? 5432 : values.port}/${encodeURIComponent(values.database.trim())}${search ? `?${search}` : ''}`;
}
