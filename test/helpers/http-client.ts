import type { TestApp, TestRole } from './test-app.js';

export interface HttpAnswer {
  status: number;
  json: Record<string, unknown> & { error?: { code: string; message: string; details?: Record<string, unknown> } };
}

/**
 * Starts `t.app` on a free local port and returns a client that calls it through real HTTP,
 * as `role` (default admin) with that role's Bearer token. Requests are not audited by
 * `t.close()` (only `t.request` ones are).
 */
export async function listenForHttp(t: TestApp) {
  const base = await t.app.listen({ port: 0, host: '127.0.0.1' });
  return async (method: string, path: string, body?: unknown, role: Exclude<TestRole, 'anonymous'> = 'admin'): Promise<HttpAnswer> => {
    const { token } = await t.credentialsFor(role);
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      // Only a guard against a hang; a busy machine is never near it.
      signal: AbortSignal.timeout(120_000),
    });
    const text = await response.text();
    return { status: response.status, json: (text ? JSON.parse(text) : null) as HttpAnswer['json'] };
  };
}

export type HttpClient = Awaited<ReturnType<typeof listenForHttp>>;
