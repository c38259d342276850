import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';

import { type DashboardSummary, readDashboardSummary } from '../metrics/dashboard-summary-query.js';
import type { AppStore } from './app-context.js';

/** Aggregates change slowly and are read on every dashboard refresh: 15 s in the cache. */
const cacheTtlSeconds = 15;

const summarySchema = z
  .object({
    generated_at: z.string(),
    cached: z.boolean().describe('true when served from the REDIS_URL cache (at most 15 s old)'),
    days: z.number(),
    runs_per_day: z.array(z.object({ day: z.string(), succeeded: z.number(), incomplete: z.number(), failed: z.number(), cancelled: z.number() })),
    totals: z.object({
      runs: z.number(),
      succeeded: z.number(),
      incomplete: z.number().describe('runs that copied every table but not every schema object'),
      failed: z.number(),
      success_rate: z.number().nullable().describe('succeeded / (succeeded + incomplete + failed); null without finished runs'),
      rows: z.number(),
      bytes: z.number(),
    }),
    running: z.number(),
    queued: z.number(),
    last_backup_per_connection: z.array(
      z.object({ connection_id: z.string(), connection: z.string(), newest_backup_at: z.string(), age_s: z.number() }),
    ),
    storage_used: z.array(z.object({ storage_id: z.string(), storage: z.string(), bytes: z.number(), backups: z.number() })),
    protection: z.object({
      protected: z.number().describe('connections under continuous protection'),
      streaming: z.number().describe('of those, streamed by a worker now'),
      worst_rpo_s: z.number().nullable().describe('the largest WAL lag in seconds (plus the time since the last figures when nobody streams); null before any figures'),
      worst_connection_id: z.string().nullable(),
      worst_connection: z.string().nullable(),
    }),
  })
  .describe('DashboardSummary');

/** `GET /api/v1/dashboard/summary`: the dashboard's aggregates in one call, cached when Redis is configured. */
export function dashboardRoutes(store: AppStore): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/api/v1/dashboard/summary',
      {
        config: { access: 'viewer' },
        schema: {
          tags: ['dashboard'],
          summary: 'Runs per day by status, success rate, rows and bytes moved, running and queued runs, newest backup age per connection, storage used',
          querystring: z.object({ days: z.coerce.number().int().min(1).max(90).default(14).describe('(default: 14)') }).strict(),
          response: { 200: summarySchema },
        },
      },
      async (request) => {
        const key = `dashboard:summary:${request.query.days}`;
        const hit = await app.cache.get<DashboardSummary>(key);
        if (hit !== undefined) return { ...hit, cached: true };
        const summary = await readDashboardSummary(store.db, request.query.days);
        await app.cache.set(key, summary, cacheTtlSeconds);
        return { ...summary, cached: false };
      },
    );
  };
}
