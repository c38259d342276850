/**
 * The one place the UI talks HTTP: JSON in and out, the session cookie, the CSRF header on
 * state-changing requests, and `{error:{code,message,details},requestId}` turned into ApiError.
 */

export interface FieldError {
  field: string;
  /** The server's English text, shown when the UI has no text of its own for `code`. */
  message: string;
  /** Stable kind of problem (zod issue codes such as too_small, or ours such as taken). */
  code?: string;
  params?: Record<string, string | number>;
}

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: Record<string, unknown> | undefined;
  readonly requestId: string | undefined;

  constructor(status: number, code: string, message: string, details?: Record<string, unknown>, requestId?: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
    this.requestId = requestId;
  }

  /** Server field errors keyed by the field path without its `body.`/`query.` prefix. */
  get fieldErrors(): Record<string, FieldError> {
    const fields = this.details?.fields;
    const out: Record<string, FieldError> = {};
    if (!Array.isArray(fields)) return out;
    for (const item of fields as FieldError[]) {
      if (!item || typeof item.field !== 'string') continue;
      const key = item.field.replace(/^(body|query|params|querystring)\.?/, '') || item.field;
      out[key] ??= item;
    }
    return out;
  }
}

let csrfToken: string | null = null;
let onUnauthorized: (() => void) | null = null;

export function setCsrfToken(token: string | null | undefined): void {
  csrfToken = token ?? null;
}

/** Called on any 401 so the app can show the login page. */
export function setUnauthorizedHandler(handler: (() => void) | null): void {
  onUnauthorized = handler;
}

function csrfFromCookie(): string | null {
  if (typeof document === 'undefined') return null;
  for (const part of document.cookie.split(';')) {
    const [name, ...rest] = part.trim().split('=');
    if (name && /csrf/i.test(name)) return decodeURIComponent(rest.join('='));
  }
  return null;
}

export type Query = Record<string, string | number | boolean | null | undefined | readonly string[]>;

export function withQuery(path: string, query?: Query): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === '') continue;
    if (Array.isArray(value)) for (const item of value) params.append(key, String(item));
    else params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  body?: unknown;
  query?: Query;
  signal?: AbortSignal;
  /** Raw body (e.g. a file upload) sent as-is with its own content type. */
  raw?: Blob | FormData;
}

export async function api<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const method = options.method ?? 'GET';
  const headers: Record<string, string> = { accept: 'application/json' };
  let body: BodyInit | undefined;
  if (options.raw !== undefined) {
    body = options.raw;
    // FormData sets its own multipart boundary; a Blob is sent as its bytes.
    if (options.raw instanceof Blob) headers['content-type'] = options.raw.type || 'application/octet-stream';
  } else if (options.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.body);
  }
  if (method !== 'GET') {
    const token = csrfFromCookie() ?? csrfToken;
    if (token) headers['x-csrf-token'] = token;
  }
  let response: Response;
  try {
    response = await fetch(withQuery(path, options.query), {
      method,
      headers,
      body: body ?? null,
      credentials: 'same-origin',
      signal: options.signal ?? null,
    });
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    throw new ApiError(0, 'NETWORK', error instanceof Error ? error.message : String(error));
  }
  const text = await response.text();
  let parsed: unknown = undefined;
  if (text) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = text;
    }
  }
  if (!response.ok) {
    // A wrong password or code at login is no expired session.
    if (response.status === 401 && onUnauthorized && !path.includes('/auth/login')) onUnauthorized();
    const envelope = (parsed && typeof parsed === 'object' ? parsed : {}) as {
      error?: { code?: string; message?: string; details?: Record<string, unknown> };
      requestId?: string;
    };
    throw new ApiError(
      response.status,
      envelope.error?.code ?? `HTTP_${response.status}`,
      envelope.error?.message ?? (typeof parsed === 'string' && parsed ? parsed : response.statusText || `HTTP ${response.status}`),
      envelope.error?.details,
      envelope.requestId,
    );
  }
  return parsed as T;
}

/** Both list shapes the API uses, normalised. */
export interface Page<T> {
  items: T[];
  next_cursor?: string | null;
  total?: number;
  page?: number;
  page_size?: number;
}
