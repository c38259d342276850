import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';

import { backupJobCreateSchema, backupJobUpdateSchema } from '../jobs/job-input-schemas.js';
import { backupJobListItemSchema, backupJobView, backupJobViewSchema, lastRunView, runSummaryView, runSummaryViewSchema } from '../jobs/job-views.js';
import { runJobNow } from '../jobs/run-service.js';
import { getBackupJob, listBackupJobs } from '../store/backup-job-repository.js';
import { lastRunsOfJobs } from '../store/last-run-query.js';
import { createBackupJob, deleteBackupJob, setBackupJobEnabled, updateBackupJob } from '../jobs/backup-job-service.js';
import { errorBodySchema } from './api-schemas.js';
import type { AppServices } from './app-context.js';
import { jobListQuerySchema, jobParamsSchema } from './sync-job-routes.js';

// A backup run takes no parameters: what it does is the job's.
const runNowBodySchema = z.strictObject({ params: z.strictObject({}).optional() }).nullish();

const errors = { 400: errorBodySchema, 404: errorBodySchema, 409: errorBodySchema };

/** `/api/v1/backup-jobs`: saved backup jobs, enable/disable, run now. */
export function backupJobRoutes(services: AppServices): FastifyPluginAsyncZod {
  const db = services.store.db;
  return async (app) => {
    const tags = ['backup jobs'];
    const list = z.object({ items: z.array(backupJobListItemSchema), total: z.number(), page: z.number(), page_size: z.number() });

    app.get(
      '/api/v1/backup-jobs',
      { config: { access: 'viewer' }, schema: { tags, summary: 'List backup jobs', querystring: jobListQuerySchema, response: { 200: list, ...errors } } },
      async (request) => {
        const page = request.query.page ?? 1;
        const page_size = request.query.page_size ?? 50;
        const enabled = request.query.enabled === undefined ? undefined : request.query.enabled === 'true';
        const result = await listBackupJobs(db, { page, page_size, q: request.query.q, enabled, sort: request.query.sort });
        const lastRuns = await lastRunsOfJobs(db, 'backup_job_id', result.items.map((job) => job.id));
        return { items: result.items.map((job) => ({ ...backupJobView(job), last_run: lastRunView(lastRuns.get(job.id)) })), total: result.total, page, page_size };
      },
    );

    app.post(
      '/api/v1/backup-jobs',
      {
        config: { access: 'admin', auditResource: 'backup_job' },
        schema: { tags, summary: 'Create a backup job', body: backupJobCreateSchema, response: { 201: backupJobViewSchema, ...errors } },
      },
      async (request, reply) => reply.status(201).send(backupJobView(await createBackupJob(db, request.body))),
    );

    app.get(
      '/api/v1/backup-jobs/:id',
      { config: { access: 'viewer' }, schema: { tags, summary: 'Get a backup job', params: jobParamsSchema, response: { 200: backupJobViewSchema, ...errors } } },
      async (request) => backupJobView(await getBackupJob(db, request.params.id)),
    );

    app.patch(
      '/api/v1/backup-jobs/:id',
      {
        config: { access: 'admin', auditResource: 'backup_job' },
        schema: { tags, summary: 'Change a backup job (fields given are replaced)', params: jobParamsSchema, body: backupJobUpdateSchema, response: { 200: backupJobViewSchema, ...errors } },
      },
      async (request) => backupJobView(await updateBackupJob(db, request.params.id, request.body)),
    );

    app.delete(
      '/api/v1/backup-jobs/:id',
      {
        config: { access: 'admin', auditResource: 'backup_job' },
        schema: { tags, summary: 'Delete a backup job (its runs stay)', params: jobParamsSchema, response: { 204: z.null(), ...errors } },
      },
      async (request, reply) => {
        await deleteBackupJob(db, request.params.id);
        return reply.status(204).send(null);
      },
    );

    for (const action of ['enable', 'disable'] as const) {
      app.post(
        `/api/v1/backup-jobs/:id/${action}`,
        {
          config: { access: 'admin', auditResource: 'backup_job' },
          schema: { tags, summary: `${action === 'enable' ? 'Enable' : 'Disable'} the schedule of a backup job`, params: jobParamsSchema, response: { 200: backupJobViewSchema, ...errors } },
        },
        async (request) => backupJobView(await setBackupJobEnabled(db, request.params.id, action === 'enable')),
      );
    }

    app.post(
      '/api/v1/backup-jobs/:id/run',
      {
        config: { access: 'operator', auditResource: 'backup_job' },
        schema: { tags, summary: 'Run a backup job now (409 while it has an active run)', params: jobParamsSchema, body: runNowBodySchema, response: { 202: runSummaryViewSchema, ...errors } },
      },
      async (request, reply) => {
        const run = await runJobNow(db, 'backup', request.params.id, {
          trigger: 'api',
          createdBy: request.principal?.username ?? null,
          ...(request.body?.params ? { params: request.body.params } : {}),
        });
        return reply.status(202).send(runSummaryView(run));
      },
    );
  };
}
