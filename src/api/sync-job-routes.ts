import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';

import { syncJobCreateSchema, syncJobUpdateSchema, syncRunParamsSchema } from '../jobs/job-input-schemas.js';
import { lastRunView, runSummaryView, runSummaryViewSchema, syncJobListItemSchema, syncJobView, syncJobViewSchema } from '../jobs/job-views.js';
import { runJobNow } from '../jobs/run-service.js';
import { createCheckedSyncJob, updateCheckedSyncJob } from '../jobs/sync-job-service.js';
import { lastRunsOfJobs } from '../store/last-run-query.js';
import { getBatchSyncJob, listSyncJobs } from '../store/sync-job-repository.js';
import { deleteSyncJob, setSyncJobEnabled } from '../jobs/sync-job-service.js';
import { errorBodySchema } from './api-schemas.js';
import type { AppServices } from './app-context.js';

const errors = { 400: errorBodySchema, 404: errorBodySchema, 409: errorBodySchema };
export const jobParamsSchema = z.strictObject({ id: z.string().min(1).max(200).describe('job id or name') });
export const jobListQuerySchema = z.strictObject({
  page: z.coerce.number().int().min(1).max(1_000_000).optional().describe('(default: 1)'),
  page_size: z.coerce.number().int().min(1).max(200).optional().describe('(default: 50)'),
  q: z.string().max(200).optional().describe('substring of the name'),
  enabled: z.enum(['true', 'false']).optional(),
  sort: z.enum(['name', 'created_at', 'next_fire_at']).optional().describe('(default: name)'),
});
const runNowBodySchema = z.strictObject({ params: syncRunParamsSchema.optional() }).nullish();

/** `/api/v1/sync-jobs`: saved sync jobs, enable/disable, run now. */
export function syncJobRoutes(services: AppServices): FastifyPluginAsyncZod {
  const db = services.store.db;
  return async (app) => {
    const tags = ['sync jobs'];
    const list = z.object({ items: z.array(syncJobListItemSchema), total: z.number(), page: z.number(), page_size: z.number() });

    app.get(
      '/api/v1/sync-jobs',
      { config: { access: 'viewer' }, schema: { tags, summary: 'List sync jobs', querystring: jobListQuerySchema, response: { 200: list, ...errors } } },
      async (request) => {
        const page = request.query.page ?? 1;
        const page_size = request.query.page_size ?? 50;
        const enabled = request.query.enabled === undefined ? undefined : request.query.enabled === 'true';
        const result = await listSyncJobs(db, { page, page_size, q: request.query.q, enabled, sort: request.query.sort });
        const lastRuns = await lastRunsOfJobs(db, 'sync_job_id', result.items.map((job) => job.id));
        return { items: result.items.map((job) => ({ ...syncJobView(job), last_run: lastRunView(lastRuns.get(job.id)) })), total: result.total, page, page_size };
      },
    );

    app.post(
      '/api/v1/sync-jobs',
      {
        config: { access: 'admin', auditResource: 'sync_job' },
        schema: { tags, summary: 'Create a sync job', body: syncJobCreateSchema, response: { 201: syncJobViewSchema, ...errors } },
      },
      async (request, reply) => reply.status(201).send(syncJobView(await createCheckedSyncJob(db, services.secrets, request.body, services.outbound))),
    );

    app.get(
      '/api/v1/sync-jobs/:id',
      { config: { access: 'viewer' }, schema: { tags, summary: 'Get a sync job', params: jobParamsSchema, response: { 200: syncJobViewSchema, ...errors } } },
      async (request) => syncJobView(await getBatchSyncJob(db, request.params.id)),
    );

    app.patch(
      '/api/v1/sync-jobs/:id',
      {
        config: { access: 'admin', auditResource: 'sync_job' },
        schema: { tags, summary: 'Change a sync job (fields given are replaced)', params: jobParamsSchema, body: syncJobUpdateSchema, response: { 200: syncJobViewSchema, ...errors } },
      },
      async (request) => syncJobView(await updateCheckedSyncJob(db, services.secrets, request.params.id, request.body, services.outbound)),
    );

    app.delete(
      '/api/v1/sync-jobs/:id',
      {
        config: { access: 'admin', auditResource: 'sync_job' },
        schema: { tags, summary: 'Delete a sync job (its runs stay)', params: jobParamsSchema, response: { 204: z.null(), ...errors } },
      },
      async (request, reply) => {
        await deleteSyncJob(db, request.params.id);
        return reply.status(204).send(null);
      },
    );

    for (const action of ['enable', 'disable'] as const) {
      app.post(
        `/api/v1/sync-jobs/:id/${action}`,
        {
          config: { access: 'admin', auditResource: 'sync_job' },
          schema: { tags, summary: `${action === 'enable' ? 'Enable' : 'Disable'} the schedule of a sync job`, params: jobParamsSchema, response: { 200: syncJobViewSchema, ...errors } },
        },
        async (request) => syncJobView(await setSyncJobEnabled(db, request.params.id, action === 'enable')),
      );
    }

    app.post(
      '/api/v1/sync-jobs/:id/run',
      {
        config: { access: 'operator', auditResource: 'sync_job' },
        schema: { tags, summary: 'Run a sync job now (409 while it has an active run)', params: jobParamsSchema, body: runNowBodySchema, response: { 202: runSummaryViewSchema, ...errors } },
      },
      async (request, reply) => {
        const run = await runJobNow(db, 'sync', request.params.id, {
          trigger: 'api',
          createdBy: request.principal?.username ?? null,
          ...(request.body?.params ? { params: request.body.params } : {}),
        });
        return reply.status(202).send(runSummaryView(run));
      },
    );
  };
}
