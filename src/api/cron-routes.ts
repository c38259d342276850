import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';

import { describeCron, nextFireTimes, validateCron } from '../cron/cron-schedule.js';
import { errorBodySchema } from './api-schemas.js';

const previewQuery = z.strictObject({
  expression: z.string().trim().min(1).max(200).describe('5 fields, or 6 with seconds first; @daily etc.'),
  timezone: z.string().trim().min(1).max(100).optional().describe('IANA zone (default: UTC)'),
  count: z.coerce.number().int().min(1).max(50).optional().describe('how many fire times (default: 5)'),
  from: z.iso.datetime({ offset: true }).optional().describe('compute after this instant (default: now)'),
});

const previewSchema = z
  .object({
    expression: z.string(),
    timezone: z.string(),
    next: z.array(z.string()).describe('next fire times, ISO 8601 UTC'),
    description: z.object({ en: z.string(), 'zh-CN': z.string() }),
  })
  .describe('CronPreview');

/** `/api/v1/cron/preview`: validation, next fire times and a description for the cron builder. */
export function cronRoutes(): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/api/v1/cron/preview',
      {
        config: { access: 'viewer' },
        schema: {
          tags: ['jobs'],
          summary: 'Check a cron expression: next fire times and a description in English and Chinese (400 names the bad field)',
          querystring: previewQuery,
          response: { 200: previewSchema, 400: errorBodySchema },
        },
      },
      async (request) => {
        const { expression, count } = request.query;
        const timezone = request.query.timezone ?? 'UTC';
        validateCron(expression, timezone);
        const from = request.query.from ? new Date(request.query.from) : new Date();
        return {
          expression,
          timezone,
          next: nextFireTimes(expression, timezone, count ?? 5, from).map((time) => time.toISOString()),
          description: { en: describeCron(expression, 'en'), 'zh-CN': describeCron(expression, 'zh-CN') },
        };
      },
    );
  };
}
