import { existsSync, statSync } from 'node:fs';
import path from 'node:path';

import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

import { PgferryError } from '../errors/pgferry-error.js';
import { packageRoot } from '../package-root.js';

/** Where `npm run build:web` writes the UI (web/dist at the package root). */
export const defaultUiDir = path.join(packageRoot, 'web', 'dist');

const missingPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>pgferry</title></head>
<body style="font-family:system-ui,sans-serif;max-width:40rem;margin:4rem auto;line-height:1.5">
<h1>pgferry</h1>
<p>The web UI has not been built. Run <code>npm run build:web</code> and reload this page.</p>
<p>The API is up: see <a href="/docs">/docs</a> and <a href="/api/v1/openapi.json">/api/v1/openapi.json</a>.</p>
</body></html>
`;

/** A file inside `root` for a URL path, or null (never escapes the root). */
function fileFor(root: string, urlPath: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  const resolved = path.resolve(root, `.${path.posix.normalize(`/${decoded}`)}`);
  if (!resolved.startsWith(root + path.sep)) return null;
  try {
    return statSync(resolved).isFile() ? path.relative(root, resolved) : null;
  } catch {
    return null;
  }
}

/**
 * Serves the built web UI at `/`: real files as they are (hashed assets cached for a year),
 * every other non-API GET answered with index.html so client-side routes survive a reload.
 * Unknown `/api/…` paths keep answering the JSON 404.
 */
export function staticUi(options: { dir?: string } = {}) {
  const root = path.resolve(options.dir ?? defaultUiDir);
  return async (app: FastifyInstance): Promise<void> => {
    const built = existsSync(path.join(root, 'index.html'));
    if (built) await app.register(fastifyStatic, { root, serve: false });

    app.get(
      '/*',
      { schema: { hide: true }, config: { access: 'public' } },
      async (request, reply) => {
        const urlPath = request.url.split('?')[0] ?? '/';
        if (urlPath === '/api' || urlPath.startsWith('/api/')) {
          throw new PgferryError('PGF_ROUTE_NOT_FOUND', `no route for GET ${urlPath}; the API lives under /api/v1 (see /docs)`);
        }
        if (!built) return reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(missingPage);
        const file = urlPath === '/' ? null : fileFor(root, urlPath);
        if (file) {
          const immutable = file.startsWith(`assets${path.sep}`);
          return reply.sendFile(file, { cacheControl: true, immutable, maxAge: immutable ? 31_536_000_000 : 0 });
        }
        return reply.header('cache-control', 'no-cache').sendFile('index.html', { cacheControl: false });
      },
    );
  };
}
