import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';

import { createApiToken, findUserOrThrow } from '../auth/user-admin.js';
import { PgferryError } from '../errors/pgferry-error.js';
import { ApiTokenRepository } from '../store/api-token-repository.js';
import type { AppStore } from './app-context.js';
import { errorBodySchema } from './api-schemas.js';
import { idParamsSchema, pageQuery, roleSchema, toTokenBody, tokenSchema } from './auth-schemas.js';
import { displaySafe } from '../store/safe-text.js';

const errors = { 400: errorBodySchema, 401: errorBodySchema, 403: errorBodySchema, 404: errorBodySchema, 409: errorBodySchema };

export function tokenRoutes(deps: { store: AppStore }): FastifyPluginAsyncZod {
  const { store } = deps;
  const tokens = new ApiTokenRepository(store.db);
  return async (app) => {
    app.get(
      '/api/v1/tokens',
      {
        config: { access: 'admin' },
        schema: {
          tags: ['tokens'],
          summary: 'List API tokens (never the tokens themselves)',
          querystring: z.object({
            ...pageQuery,
            user_id: z.uuid().optional(),
            include_revoked: z.enum(['true', 'false']).default('false'),
          }),
          response: { 200: z.object({ items: z.array(tokenSchema), total: z.number().int(), page: z.number().int(), page_size: z.number().int() }), ...errors },
        },
      },
      async (request) => {
        const query = request.query;
        const result = await tokens.list({
          userId: query.user_id,
          includeRevoked: query.include_revoked === 'true',
          page: query.page,
          pageSize: query.page_size,
        });
        return { items: result.items.map(toTokenBody), total: result.total, page: query.page, page_size: query.page_size };
      },
    );

    app.post(
      '/api/v1/tokens',
      {
        config: { access: 'admin', auditResource: 'api_token' },
        schema: {
          tags: ['tokens'],
          summary: 'Create an API token; the answer holds the token, shown this once',
          body: z.object({
            name: displaySafe(z.string().trim().min(1).max(100)),
            role: roleSchema,
            user_id: z.uuid().optional().describe('Owner (default: the caller)'),
            expires_in_days: z.number().int().min(1).max(3650).optional(),
          }),
          response: { 201: tokenSchema.extend({ token: z.string().describe('Send as `Authorization: Bearer <token>`; not retrievable later') }), ...errors },
        },
      },
      async (request, reply) => {
        const ownerId = request.body.user_id ?? request.principal?.userId;
        if (!ownerId) throw new PgferryError('PGF_VALIDATION_FAILED', 'name the token owner with user_id');
        const user = await findUserOrThrow(store, ownerId);
        const created = await createApiToken(store, { user, name: request.body.name, role: request.body.role, expiresInDays: request.body.expires_in_days });
        return reply.status(201).send({ ...toTokenBody(created.view), token: created.token });
      },
    );

    app.delete(
      '/api/v1/tokens/:id',
      {
        config: { access: 'admin', auditResource: 'api_token', auditAction: 'api_token.revoke' },
        schema: { tags: ['tokens'], summary: 'Revoke a token (it fails from the next request on)', params: idParamsSchema, response: { 200: tokenSchema, ...errors } },
      },
      async (request) => {
        const revoked = await tokens.revoke(request.params.id);
        if (!revoked) throw new PgferryError('PGF_NOT_FOUND', `API token ${request.params.id} does not exist; list tokens with GET /api/v1/tokens`);
        return toTokenBody(revoked);
      },
    );
  };
}
