import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type TestApp, createTestApp } from '../helpers/test-app.js';

// Browser security headers, a token for /metrics, checked request ids and names without
// bidirectional controls (issue 15, item 10), through a listening server.
const metricsToken = 'metrics-token-0123456789abcdef';
let t: TestApp;
let base: string;
let admin: string;

beforeAll(async () => {
  t = await createTestApp({ PGFERRY_METRICS_TOKEN: metricsToken, PGFERRY_TRUST_PROXY: '127.0.0.1' });
  base = await t.app.listen({ port: 0, host: '127.0.0.1' });
  admin = (await t.credentialsFor('admin')).token;
});
afterAll(async () => {
  await t.close();
});

describe('security headers', () => {
  it('are on API answers, errors and the API docs; HSTS only over HTTPS', async () => {
    for (const url of ['/api/v1/health', '/api/v1/runs', '/api/v1/no-such-route', '/docs/']) {
      const response = await fetch(`${base}${url}`, { headers: { authorization: `Bearer ${admin}` } });
      expect(response.headers.get('content-security-policy'), url).toContain("frame-ancestors 'none'");
      expect(response.headers.get('content-security-policy'), url).toContain("script-src 'self'");
      expect(response.headers.get('x-content-type-options'), url).toBe('nosniff');
      expect(response.headers.get('referrer-policy'), url).toBe('no-referrer');
      expect(response.headers.get('x-frame-options'), url).toBe('DENY');
      expect(response.headers.get('strict-transport-security'), url).toBeNull();
    }
    // Behind a trusted TLS-terminating proxy the request was HTTPS: HSTS is sent.
    const tls = await fetch(`${base}/api/v1/health`, { headers: { 'x-forwarded-proto': 'https' } });
    expect(tls.headers.get('strict-transport-security')).toMatch(/^max-age=\d+/);
  });
});

describe('/metrics with PGFERRY_METRICS_TOKEN', () => {
  it('answers only the configured Bearer token', async () => {
    expect((await fetch(`${base}/metrics`)).status).toBe(401);
    const wrong = await fetch(`${base}/metrics`, { headers: { authorization: 'Bearer not-the-token-at-all' } });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toContain('Bearer');
    expect(await wrong.text()).not.toContain(metricsToken);
    const scraped = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${metricsToken}` } });
    expect(scraped.status).toBe(200);
    expect(await scraped.text()).toContain('pgferry_');
  });
});

describe('request ids', () => {
  it('keeps a plain client id and replaces anything else before it reaches the audit log', async () => {
    const send = (id: string) =>
      fetch(`${base}/api/v1/storages`, {
        method: 'POST',
        headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json', 'x-request-id': id },
        body: JSON.stringify({ name: `rid-${Math.random().toString(36).slice(2)}`, kind: 'local', config: { path: '/nonexistent/rid' } }),
      });
    const plain = await send('proxy-1234.abc:5');
    expect(plain.headers.get('x-request-id')).toBe('proxy-1234.abc:5');
    const hostile = await send(`<script>alert(1)</script>${'x'.repeat(300)}`);
    const replaced = hostile.headers.get('x-request-id') ?? '';
    expect(replaced).toMatch(/^[0-9a-f-]{36}$/);
    const ids = (await t.store.db.selectFrom('audit_log').select('request_id').execute()).map((row) => row.request_id);
    expect(ids).toContain('proxy-1234.abc:5');
    expect(ids).toContain(replaced);
    expect(ids.some((id) => id?.includes('<script>'))).toBe(false);
  });
});

describe('names', () => {
  it('refuse bidirectional control characters, naming the field', async () => {
    const response = await fetch(`${base}/api/v1/storages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'prod\u202Ecod.exe', kind: 'local', config: { path: '/nonexistent/bidi' } }),
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: { message: string } };
    expect(body.error.message).toContain('name');
    expect(body.error.message).toContain('bidirectional');
  });
});
