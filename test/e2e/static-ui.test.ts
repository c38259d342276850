import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { registerErrorHandling } from '../../src/api/error-handler.js';
import { staticUi } from '../../src/api/static-ui.js';
import { trackResource } from '../helpers/leak-check.js';

// The route that serves web/dist: files, SPA fallback, the API's JSON 404, no path escape.

async function appFor(dir: string): Promise<FastifyInstance> {
  const app = Fastify();
  registerErrorHandling(app);
  await app.register(staticUi({ dir }));
  await app.ready();
  return app;
}

describe('static UI route', () => {
  let root: string;
  let built: FastifyInstance;
  let missing: FastifyInstance;
  let release = () => undefined as unknown;

  beforeAll(async () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'pgferry-static-ui-'));
    mkdirSync(path.join(root, 'dist/assets'), { recursive: true });
    writeFileSync(path.join(root, 'dist/index.html'), '<!doctype html><div id="root"></div>');
    writeFileSync(path.join(root, 'dist/assets/app-1234.js'), 'console.log(1)');
    writeFileSync(path.join(root, 'secret.txt'), 'outside the root');
    built = await appFor(path.join(root, 'dist'));
    missing = await appFor(path.join(root, 'nothing-here'));
    release = trackResource('static ui apps', async () => {
      await built.close();
      await missing.close();
    });
  });

  afterAll(async () => {
    release();
    await built?.close();
    await missing?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('serves index.html at / and for client-side routes, uncached', async () => {
    for (const url of ['/', '/runs/123', '/connections/abc/browse?x=1']) {
      const response = await built.inject({ url });
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toMatch(/text\/html/);
      expect(response.body).toContain('<div id="root">');
      expect(response.headers['cache-control']).toBe('no-cache');
    }
  });

  it('serves hashed assets with a long immutable cache', async () => {
    const response = await built.inject({ url: '/assets/app-1234.js' });
    expect(response.statusCode).toBe(200);
    expect(response.body).toBe('console.log(1)');
    expect(response.headers['cache-control']).toMatch(/immutable/);
  });

  it('keeps the JSON 404 for unknown API paths', async () => {
    const response = await built.inject({ url: '/api/v1/nothing' });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ error: { code: 'PGF_ROUTE_NOT_FOUND' } });
  });

  it('never serves a file outside the UI directory', async () => {
    for (const url of ['/../secret.txt', '/..%2fsecret.txt', '/assets/..%2f..%2fsecret.txt', '/%2e%2e/secret.txt']) {
      const response = await built.inject({ url });
      expect(response.body).not.toContain('outside the root');
    }
  });

  it('says how to build the UI when web/dist is missing', async () => {
    const response = await missing.inject({ url: '/' });
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('npm run build:web');
    const api = await missing.inject({ url: '/api/v1/nothing' });
    expect(api.statusCode).toBe(404);
  });
});
