import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';

import { AuditRepository } from '../store/audit-repository.js';
import { auditResourceNames, resourceKey } from '../store/audit-resource-names.js';
import type { AppStore } from './app-context.js';
import { bigintIdText, errorBodySchema } from './api-schemas.js';
import { auditEntrySchema, toAuditBody } from './auth-schemas.js';

const shortText = z.string().min(1).max(200);

export function auditRoutes(deps: { store: AppStore }): FastifyPluginAsyncZod {
  const audit = new AuditRepository(deps.store.db);
  return async (app) => {
    app.get(
      '/api/v1/audit-log',
      {
        config: { access: 'admin' },
        schema: {
          tags: ['audit'],
          summary: 'Search the audit log, newest first',
          querystring: z.object({
            limit: z.coerce.number().int().min(1).max(500).default(50),
            cursor: bigintIdText('expected the next_cursor of the previous page').optional(),
            actor: shortText.optional().describe('Username of the actor (exact)'),
            actor_id: z.uuid().optional(),
            actor_type: z.enum(['user', 'token', 'system', 'anonymous']).optional(),
            action: shortText.optional().describe('Exact action such as `connection.create`, or `connection.*`'),
            resource_type: shortText.optional(),
            resource_id: shortText.optional(),
            from: z.iso.datetime({ offset: true }).optional().describe('Inclusive start (ISO 8601)'),
            to: z.iso.datetime({ offset: true }).optional().describe('Exclusive end (ISO 8601)'),
          }),
          response: {
            200: z.object({ items: z.array(auditEntrySchema), next_cursor: z.string().nullable() }),
            400: errorBodySchema,
            401: errorBodySchema,
            403: errorBodySchema,
          },
        },
      },
      async (request) => {
        const query = request.query;
        const result = await audit.list({
          actor: query.actor,
          actorId: query.actor_id,
          actorType: query.actor_type,
          action: query.action,
          resourceType: query.resource_type,
          resourceId: query.resource_id,
          from: query.from === undefined ? undefined : new Date(query.from),
          to: query.to === undefined ? undefined : new Date(query.to),
          beforeId: query.cursor,
          limit: query.limit,
        });
        const names = await auditResourceNames(deps.store.db, result.items);
        const nameOf = (row: (typeof result.items)[number]) => (row.resource_type && row.resource_id ? (names.get(resourceKey(row.resource_type, row.resource_id)) ?? null) : null);
        return { items: result.items.map((row) => toAuditBody(row, nameOf(row))), next_cursor: result.nextCursor };
      },
    );
  };
}
