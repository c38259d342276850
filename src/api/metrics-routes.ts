import { createHash, timingSafeEqual } from 'node:crypto';

import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';

import { PgferryError } from '../errors/pgferry-error.js';
import { AppMetrics } from '../metrics/app-metrics.js';
import { readStoreMetrics } from '../metrics/store-metrics-query.js';
import type { AppStore } from './app-context.js';

export interface MetricsOptions {
  store: AppStore;
  version: string;
  /** When set, a scrape must send `Authorization: Bearer <token>`. */
  token?: string | undefined;
  /** A scrape never waits longer than this for the store (default: 5000 ms). */
  storeTimeoutMs?: number;
}

/** Constant-time comparison of the presented Bearer token with the configured one. */
function bearerMatches(header: string | undefined, token: string): boolean {
  const presented = /^Bearer (.+)$/i.exec(header ?? '')?.[1] ?? '';
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(token).digest();
  return timingSafeEqual(a, b);
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * `GET /metrics` (Prometheus text format) and the HTTP request hooks. Registered on the root
 * instance, not as an encapsulated plugin, so the hooks see every route. Store figures are
 * read at scrape time; when the store does not answer, /metrics still answers with
 * `pgferry_store_up 0` and the process/HTTP series.
 */
export function registerMetrics(app: FastifyInstance, options: MetricsOptions): AppMetrics {
  const metrics = new AppMetrics(options.version);
  const timeoutMs = options.storeTimeoutMs ?? 5000;

  app.addHook('onResponse', async (request, reply) => {
    // The route template, never the raw URL, keeps the label set small (ids stay out).
    const route = request.routeOptions.url ?? '(unmatched)';
    metrics.observeRequest(request.method, route, reply.statusCode, reply.elapsedTime / 1000);
  });

  app.withTypeProvider<ZodTypeProvider>().get(
    '/metrics',
    {
      config: { access: 'public' },
      schema: {
        tags: ['health'],
        summary: 'Prometheus metrics: runs, rows and bytes copied, durations, queue depth, backup ages, HTTP requests',
        produces: ['text/plain'],
        response: { 200: z.string().describe('Prometheus text exposition format 0.0.4') },
      },
    },
    async (request, reply) => {
      if (options.token !== undefined && !bearerMatches(request.headers.authorization, options.token)) {
        reply.header('www-authenticate', 'Bearer realm="pgferry metrics"');
        throw new PgferryError('PGF_UNAUTHENTICATED', '/metrics needs `Authorization: Bearer <PGFERRY_METRICS_TOKEN>`; set the token in your scrape configuration');
      }
      let snapshot;
      try {
        snapshot = await withTimeout(readStoreMetrics(options.store.db), timeoutMs);
      } catch (error) {
        request.log.warn({ err: error }, 'metrics: the metadata store could not be read; reporting pgferry_store_up 0');
      }
      metrics.applySnapshot(snapshot);
      const body = await metrics.registry.metrics();
      return reply.type(metrics.registry.contentType).send(body);
    },
  );
  return metrics;
}
