import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';

import { runDetailView, runDetailViewSchema, runLogViewSchema, runSummaryView, runSummaryViewSchema } from '../jobs/job-views.js';
import { resumeRun, retryRun } from '../jobs/run-service.js';
import { streamRunEvents } from '../jobs/run-event-stream.js';
import { listRunLogs } from '../store/run-log-repository.js';
import { getRun, listRuns, requestCancel } from '../store/run-repository.js';
import { runStatuses } from '../store/run-statuses.js';
import { bigintIdText, errorBodySchema } from './api-schemas.js';
import type { AppServices } from './app-context.js';

const errors = { 400: errorBodySchema, 404: errorBodySchema, 409: errorBodySchema };
const statuses = runStatuses;
const params = z.strictObject({ id: z.uuid().describe('run id') });

const listQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).optional().describe('(default: 50)'),
  cursor: z.string().max(200).optional().describe('next_cursor of the previous page'),
  job_id: z.uuid().optional().describe('sync or backup job id'),
  kind: z.enum(['sync', 'backup', 'restore', 'verify', 'drill']).optional(),
  status: z
    .string()
    .regex(new RegExp(`^(${statuses.join('|')})(,(${statuses.join('|')}))*$`), `comma-separated statuses among ${statuses.join(', ')}`)
    .optional()
    .describe('e.g. failed,incomplete,cancelled'),
  trigger: z.enum(['schedule', 'manual', 'api', 'retry', 'resume', 'cli']).optional(),
  from: z.iso.datetime({ offset: true }).optional().describe('queued at or after (ISO 8601)'),
  to: z.iso.datetime({ offset: true }).optional().describe('queued before (ISO 8601)'),
});

const logQuery = z.strictObject({
  after_id: bigintIdText('a log line id').optional().describe('only lines after this id (tailing)'),
  limit: z.coerce.number().int().min(1).max(5000).optional().describe('(default: 1000)'),
  level: z.enum(['debug', 'info', 'warn', 'error']).optional().describe('minimum level'),
});

/** `/api/v1/runs`: history, detail, logs, live events, cancel, retry, resume. */
export function runRoutes(services: AppServices): FastifyPluginAsyncZod {
  const db = services.store.db;
  return async (app) => {
    const tags = ['runs'];

    app.get(
      '/api/v1/runs',
      {
        config: { access: 'viewer' },
        schema: {
          tags,
          summary: 'List runs, newest first (filter by job, kind, status, trigger, time; keyset pagination)',
          querystring: listQuery,
          response: { 200: z.object({ items: z.array(runSummaryViewSchema), next_cursor: z.string().nullable() }), ...errors },
        },
      },
      async (request, reply) => {
        const query = request.query;
        const page = await listRuns(db, {
          limit: query.limit ?? 50,
          cursor: query.cursor,
          job_id: query.job_id,
          kind: query.kind,
          status: query.status?.split(',') as (typeof statuses)[number][] | undefined,
          trigger: query.trigger,
          from: query.from ? new Date(query.from) : undefined,
          to: query.to ? new Date(query.to) : undefined,
        });
        // The busiest read of the UI: the views are built to the schema above, so skip the
        // serializer's second validation of 50 objects (it tripled the route's time).
        return reply.serializer(JSON.stringify).send({ items: page.items.map(runSummaryView), next_cursor: page.next_cursor });
      },
    );

    app.get(
      '/api/v1/runs/:id',
      { config: { access: 'viewer' }, schema: { tags, summary: 'A run with per-table figures, the schema objects it did not reproduce, and error stack', params, response: { 200: runDetailViewSchema, ...errors } } },
      async (request) => runDetailView(await getRun(db, request.params.id)),
    );

    app.get(
      '/api/v1/runs/:id/logs',
      {
        config: { access: 'viewer' },
        schema: { tags, summary: "A run's log lines in order", params, querystring: logQuery, response: { 200: z.object({ items: z.array(runLogViewSchema) }), ...errors } },
      },
      async (request) => {
        await getRun(db, request.params.id);
        const lines = await listRunLogs(db, request.params.id, { after_id: request.query.after_id, limit: request.query.limit ?? 1000, level: request.query.level });
        return { items: lines.map((line) => ({ id: line.id, at: line.at.toISOString(), level: line.level, message: line.message, table: line.table_name, data: line.data ?? null })) };
      },
    );

    app.get(
      '/api/v1/runs/:id/events',
      {
        config: { access: 'viewer' },
        schema: {
          tags,
          summary: 'Live progress as Server-Sent Events: `run` (status and per-table figures), `log` (each line), `end`',
          params,
          querystring: z.strictObject({ after_id: logQuery.shape.after_id }),
          response: { 404: errorBodySchema },
        },
      },
      async (request, reply) => {
        const run = await getRun(db, request.params.id);
        await streamRunEvents(db, run.id, request, reply, { afterLogId: request.query.after_id });
      },
    );

    app.post(
      '/api/v1/runs/:id/cancel',
      {
        config: { access: 'operator', auditResource: 'run' },
        schema: { tags, summary: 'Cancel a queued or running run (the engine stops and its statements are cancelled)', params, response: { 202: runSummaryViewSchema, ...errors } },
      },
      async (request, reply) => reply.status(202).send(runSummaryView(await requestCancel(db, request.params.id))),
    );

    app.post(
      '/api/v1/runs/:id/retry',
      {
        config: { access: 'operator', auditResource: 'run' },
        schema: { tags, summary: 'Run a failed, incomplete or cancelled run again from the start', params, response: { 201: runSummaryViewSchema, ...errors } },
      },
      async (request, reply) => reply.status(201).send(runSummaryView(await retryRun(db, request.params.id, request.principal?.username ?? null))),
    );

    app.post(
      '/api/v1/runs/:id/resume',
      {
        config: { access: 'operator', auditResource: 'run' },
        schema: { tags, summary: 'Resume a failed or cancelled sync run: committed tables are skipped', params, response: { 201: runSummaryViewSchema, ...errors } },
      },
      async (request, reply) => reply.status(201).send(runSummaryView(await resumeRun(db, request.params.id, request.principal?.username ?? null))),
    );
  };
}
