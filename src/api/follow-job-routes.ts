import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';

import { followEngine } from '../jobs/follow/follow-engine.js';
import { cutoverFollowJob, dropFollowJob, liveFollowStatus } from '../jobs/follow/follow-operations.js';
import { progressRecord } from '../jobs/follow/follow-records.js';
import { createFollowJob, setFollowJobPaused, updateFollowJob } from '../jobs/follow-job-service.js';
import { cutoverReportViewSchema, followJobView, followJobViewSchema, followProgressViewSchema } from '../jobs/follow-job-views.js';
import { followJobCreateSchema, followJobUpdateSchema } from '../jobs/job-input-schemas.js';
import { followStates, getFollowJob } from '../store/follow-job-repository.js';
import { listSyncJobs } from '../store/sync-job-repository.js';
import { errorBodySchema } from './api-schemas.js';
import type { AppServices } from './app-context.js';
import { jobListQuerySchema, jobParamsSchema } from './sync-job-routes.js';

const errors = { 400: errorBodySchema, 404: errorBodySchema, 409: errorBodySchema };
const cutoverBodySchema = z
  .strictObject({ timeout_s: z.number().int().min(1).max(3600).optional().describe('Give up waiting for lag 0 after this long (default: 300)') })
  .nullish();
const dropAnswerSchema = z
  .object({ job: z.object({ id: z.string(), name: z.string() }), slot_dropped: z.boolean(), publication_dropped: z.boolean(), position_dropped: z.boolean() })
  .describe('FollowDrop');

/** `/api/v1/follow-jobs`: saved continuous-sync jobs, pause/resume, live status, cut-over, drop. */
export function followJobRoutes(services: AppServices): FastifyPluginAsyncZod {
  const db = services.store.db;
  const operations = { db, secrets: services.secrets, outbound: services.outbound, engine: followEngine };
  return async (app) => {
    const tags = ['continuous sync'];
    const list = z.object({ items: z.array(followJobViewSchema), total: z.number(), page: z.number(), page_size: z.number() });

    app.get(
      '/api/v1/follow-jobs',
      { config: { access: 'viewer' }, schema: { tags, summary: 'List continuous-sync jobs', querystring: jobListQuerySchema, response: { 200: list, ...errors } } },
      async (request) => {
        const page = request.query.page ?? 1;
        const page_size = request.query.page_size ?? 50;
        const enabled = request.query.enabled === undefined ? undefined : request.query.enabled === 'true';
        const result = await listSyncJobs(db, { page, page_size, q: request.query.q, enabled, sort: request.query.sort, kind: 'follow' });
        const states = await followStates(db, result.items.map((job) => job.id));
        const items = result.items.flatMap((job) => {
          const follow = states.get(job.id);
          return follow ? [followJobView({ ...job, follow })] : [];
        });
        return { items, total: result.total, page, page_size };
      },
    );

    app.post(
      '/api/v1/follow-jobs',
      {
        config: { access: 'admin', auditResource: 'follow_job' },
        schema: { tags, summary: 'Create a continuous-sync job (a worker starts following it)', body: followJobCreateSchema, response: { 201: followJobViewSchema, ...errors } },
      },
      async (request, reply) => reply.status(201).send(followJobView(await createFollowJob(db, services.secrets, request.body, services.outbound))),
    );

    app.get(
      '/api/v1/follow-jobs/:id',
      { config: { access: 'viewer' }, schema: { tags, summary: 'Get a continuous-sync job with its last stored progress', params: jobParamsSchema, response: { 200: followJobViewSchema, ...errors } } },
      async (request) => followJobView(await getFollowJob(db, request.params.id)),
    );

    app.patch(
      '/api/v1/follow-jobs/:id',
      {
        config: { access: 'admin', auditResource: 'follow_job' },
        schema: { tags, summary: 'Change a continuous-sync job (source and destination are fixed)', params: jobParamsSchema, body: followJobUpdateSchema, response: { 200: followJobViewSchema, ...errors } },
      },
      async (request) => followJobView(await updateFollowJob(db, services.secrets, request.params.id, request.body, services.outbound)),
    );

    for (const action of ['pause', 'resume'] as const) {
      app.post(
        `/api/v1/follow-jobs/:id/${action}`,
        {
          config: { access: 'operator', auditResource: 'follow_job' },
          schema: {
            tags,
            summary: action === 'pause' ? 'Pause: the follower stops at its next heartbeat; the slot stays and retains WAL' : 'Resume: a worker follows the job again from its stored position',
            params: jobParamsSchema,
            response: { 200: followJobViewSchema, ...errors },
          },
        },
        async (request) => followJobView(await setFollowJobPaused(db, request.params.id, action === 'pause')),
      );
    }

    app.get(
      '/api/v1/follow-jobs/:id/status',
      {
        config: { access: 'viewer' },
        schema: { tags, summary: 'Live lag and position, measured now on the source and the destination', params: jobParamsSchema, response: { 200: followProgressViewSchema, ...errors } },
      },
      async (request) => ({ ...progressRecord(await liveFollowStatus(operations, request.params.id)), measured_at: new Date().toISOString() }),
    );

    app.post(
      '/api/v1/follow-jobs/:id/cutover',
      {
        config: { access: 'admin', auditResource: 'follow_job' },
        schema: {
          tags,
          summary: 'Cut over: wait for lag 0, set sequences, compare every table, answer the report (stops the job when equal); the request lasts until then',
          params: jobParamsSchema,
          body: cutoverBodySchema,
          response: { 200: cutoverReportViewSchema, ...errors },
        },
      },
      async (request, reply) => {
        // A client that goes away before the answer abandons the wait; the follower goes on either way.
        const aborted = new AbortController();
        reply.raw.on('close', () => {
          if (!reply.raw.writableFinished) aborted.abort();
        });
        return cutoverFollowJob(operations, request.params.id, (request.body?.timeout_s ?? 300) * 1000, aborted.signal);
      },
    );

    app.post(
      '/api/v1/follow-jobs/:id/drop',
      {
        config: { access: 'admin', auditResource: 'follow_job' },
        schema: { tags, summary: 'Drop: stop the follower, remove the slot, the publication and the position, delete the job', params: jobParamsSchema, response: { 200: dropAnswerSchema, ...errors } },
      },
      async (request) => dropFollowJob(operations, request.params.id),
    );
  };
}
