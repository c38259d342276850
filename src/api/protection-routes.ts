import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';

import { disableProtection, enableProtection, getProtection, listProtectionViews } from '../jobs/protection/protection-service.js';
import { queueProtectionRestore } from '../jobs/protection/protection-restore.js';
import { protectionTimeline } from '../jobs/protection/protection-timeline.js';
import { errorBodySchema } from './api-schemas.js';
import type { AppServices } from './app-context.js';
import { connectionParamsSchema } from './connection-schemas.js';
import { protectionBodySchema, protectionListSchema, protectionRestoreBodySchema, protectionTimelineSchema, protectionViewSchema } from './protection-schemas.js';
import { z } from 'zod';

const errors = { 400: errorBodySchema, 403: errorBodySchema, 404: errorBodySchema, 409: errorBodySchema, 500: errorBodySchema, 502: errorBodySchema };

/** Continuous protection of connections: WAL streamed by the workers into a storage. */
export function protectionRoutes(services: AppServices): FastifyPluginAsyncZod {
  const { store, secrets, outbound } = services;
  const db = store.db;
  return async (app) => {
    const tags = ['protection'];

    app.get(
      '/api/v1/protection',
      { config: { access: 'viewer' }, schema: { tags, summary: 'Every protected connection with its lag and slot state', response: { 200: protectionListSchema, ...errors } } },
      async () => ({ items: await listProtectionViews(db) }),
    );

    app.get(
      '/api/v1/connections/:id/protection',
      {
        config: { access: 'viewer' },
        schema: { tags, summary: "A connection's continuous protection: settings, streaming worker, lag, retained WAL", params: connectionParamsSchema, response: { 200: protectionViewSchema, ...errors } },
      },
      async (request) => getProtection(db, request.params.id),
    );

    app.get(
      '/api/v1/connections/:id/protection/timeline',
      {
        config: { access: 'viewer' },
        schema: {
          tags,
          summary: "The restorable window: each physical base backup in the protection's storage and the unbroken WAL after it, holes named",
          params: connectionParamsSchema,
          response: { 200: protectionTimelineSchema, ...errors },
        },
      },
      async (request) => protectionTimeline(db, secrets, outbound, request.params.id),
    );

    app.post(
      '/api/v1/connections/:id/protection/restore',
      {
        config: { access: 'admin', auditResource: 'connection', auditAction: 'connection.protection.restore' },
        schema: {
          tags,
          summary: "Queue a physical restore of a base backup to a directory on a worker's host, recovered to a point inside the restorable window (a restore run); refused outside the window",
          params: connectionParamsSchema,
          body: protectionRestoreBodySchema,
          response: { 202: z.object({ id: z.string(), run_id: z.string(), kind: z.literal('restore'), status: z.string() }), ...errors },
        },
      },
      async (request, reply) => {
        const run = await queueProtectionRestore(db, secrets, outbound, request.params.id, request.body);
        return reply.status(202).send({ id: run.id, run_id: run.id, kind: 'restore' as const, status: run.status });
      },
    );

    app.put(
      '/api/v1/connections/:id/protection',
      {
        config: { access: 'admin', auditResource: 'connection', auditAction: 'connection.protection.enable' },
        schema: {
          tags,
          summary: 'Turn continuous protection on (or change it): a worker streams the WAL into the storage through a replication slot',
          params: connectionParamsSchema,
          body: protectionBodySchema,
          response: { 200: protectionViewSchema, ...errors },
        },
      },
      async (request) => enableProtection(db, request.params.id, request.body),
    );

    app.delete(
      '/api/v1/connections/:id/protection',
      {
        config: { access: 'admin', auditResource: 'connection', auditAction: 'connection.protection.disable' },
        schema: {
          tags,
          summary: 'Turn continuous protection off: the stream stops and its replication slot is dropped (slot_state says when)',
          params: connectionParamsSchema,
          response: { 200: protectionViewSchema, ...errors },
        },
      },
      async (request) => disableProtection(db, secrets, outbound, request.params.id),
    );
  };
}
