import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type TestApp, createTestApp } from '../helpers/test-app.js';

// Malformed requests across every route of the OpenAPI document (issue 15): none answers 5xx,
// and every mutating request that reached a route left its audit row. Through real HTTP.
let t: TestApp;
let base: string;
let admin: string;

interface Operation {
  method: string;
  path: string;
  query: string[];
  hasBody: boolean;
}

beforeAll(async () => {
  t = await createTestApp();
  base = await t.app.listen({ port: 0, host: '127.0.0.1' });
  admin = (await t.credentialsFor('admin')).token;
});
afterAll(async () => {
  await t.close();
});

const badIds = ['x', '0', '-1', '9999999999999999999', '00000000-0000-0000-0000-00000000000g', '%00', '..%2F..', 'a'.repeat(300), '%E2%80%AE', "1'OR'1'='1"];
const badQueryValues = ['', 'x', '-1', '1e309', '9999999999999999999', '[]', '%00', 'true;DROP', '\u202e'];
const badBodies: Array<{ type: string; body: string }> = [
  { type: 'application/json', body: '{' },
  { type: 'application/json', body: '[]' },
  { type: 'application/json', body: 'null' },
  { type: 'application/json', body: '"text"' },
  { type: 'application/json', body: '{"name":"\\ud800","id":{"$gt":""},"x":"\\u0000"}' },
  { type: 'application/json', body: JSON.stringify({ name: 1, kind: [], config: 'x', page: -1 }) },
  { type: 'application/json', body: `${'{"a":'.repeat(80)}1${'}'.repeat(80)}` },
  { type: 'text/plain', body: 'hello' },
  { type: 'application/x-www-form-urlencoded', body: 'a=1&b=2' },
  { type: 'application/octet-stream', body: '\u0000\u0001\u0002' },
];

function operations(document: { paths: Record<string, Record<string, { parameters?: Array<{ in: string; name: string }>; requestBody?: unknown }>> }): Operation[] {
  const found: Operation[] = [];
  for (const [path, methods] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(methods)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
      found.push({ method: method.toUpperCase(), path, query: (operation.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name), hasBody: operation.requestBody !== undefined });
    }
  }
  return found;
}

const fill = (path: string, id: string) => path.replace(/\{[^}]+\}/g, id);

describe('malformed requests on every documented route', () => {
  it('never answer 5xx, and every mutation that reached a route is audited', async () => {
    const document = (await (await fetch(`${base}/api/v1/openapi.json`)).json()) as Parameters<typeof operations>[0];
    const ops = operations(document).filter((op) => !op.path.endsWith('/events'));
    expect(ops.length).toBeGreaterThan(40);
    const failures: string[] = [];
    const mutations: Array<{ label: string; requestId: string }> = [];
    let sent = 0;
    const send = async (op: Operation, url: string, body?: { type: string; body: string }) => {
      sent += 1;
      const label = `${op.method} ${url.slice(0, 120)}${body ? ` [${body.type} ${body.body.slice(0, 30)}]` : ''}`;
      const response = await fetch(`${base}${url}`, {
        method: op.method,
        headers: { authorization: `Bearer ${admin}`, ...(body ? { 'content-type': body.type } : {}) },
        body: body?.body,
        redirect: 'manual',
        // A guard against a hang only.
        signal: AbortSignal.timeout(120_000),
      });
      const text = await response.text();
      if (response.status >= 500) failures.push(`${label} → ${response.status} ${text.slice(0, 200)}`);
      if (op.method !== 'GET' && response.status !== 404) mutations.push({ label, requestId: response.headers.get('x-request-id') ?? '' });
    };
    for (const op of ops) {
      const hasParams = op.path.includes('{');
      for (const id of hasParams ? badIds.slice(0, 4) : ['']) await send(op, fill(op.path, encodeURIComponent(id)));
      if (hasParams) for (const id of badIds.slice(4)) await send(op, fill(op.path, id));
      for (const name of op.query) for (const value of badQueryValues.slice(0, 3)) await send(op, `${fill(op.path, '00000000-0000-4000-8000-000000000000')}?${name}=${encodeURIComponent(value)}`);
      if (op.method !== 'GET' && op.method !== 'DELETE') {
        for (const body of badBodies) await send(op, fill(op.path, '00000000-0000-4000-8000-000000000000'), body);
      }
    }
    console.log(`fuzz: ${sent} malformed requests over ${ops.length} operations, ${mutations.length} mutations reached a route`);
    expect(sent).toBeGreaterThanOrEqual(100);
    expect(failures).toEqual([]);
    const audited = new Set((await t.store.db.selectFrom('audit_log').select('request_id').execute()).map((row) => row.request_id));
    expect(mutations.filter((mutation) => !audited.has(mutation.requestId)).map((mutation) => mutation.label)).toEqual([]);
  });
});
