import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';

import { createUser, updateUser } from '../auth/user-admin.js';
import { PgferryError } from '../errors/pgferry-error.js';
import { UserRepository } from '../store/user-repository.js';
import type { AppStore } from './app-context.js';
import { errorBodySchema } from './api-schemas.js';
import { idParamsSchema, pageQuery, roleSchema, toUserBody, userSchema, usernameSchema } from './auth-schemas.js';
import { displaySafe } from '../store/safe-text.js';

const errors = { 400: errorBodySchema, 401: errorBodySchema, 403: errorBodySchema, 404: errorBodySchema, 409: errorBodySchema };
const notFound = (id: string) => new PgferryError('PGF_NOT_FOUND', `user ${id} does not exist; list users with GET /api/v1/users`);

export function userRoutes(deps: { store: AppStore }): FastifyPluginAsyncZod {
  const { store } = deps;
  const users = new UserRepository(store.db);
  return async (app) => {
    app.get(
      '/api/v1/users',
      {
        config: { access: 'admin' },
        schema: {
          tags: ['users'],
          summary: 'List users',
          querystring: z.object({
            ...pageQuery,
            q: z.string().max(100).optional().describe('Substring of username or display name'),
            role: roleSchema.optional(),
            disabled: z.enum(['true', 'false']).optional(),
            sort: z.enum(['username', 'created_at', 'last_login_at']).default('username'),
            order: z.enum(['asc', 'desc']).default('asc'),
          }),
          response: { 200: z.object({ items: z.array(userSchema), total: z.number().int(), page: z.number().int(), page_size: z.number().int() }), ...errors },
        },
      },
      async (request) => {
        const query = request.query;
        const result = await users.list({
          q: query.q,
          role: query.role,
          disabled: query.disabled === undefined ? undefined : query.disabled === 'true',
          sort: query.sort,
          order: query.order,
          page: query.page,
          pageSize: query.page_size,
        });
        return { items: result.items.map(toUserBody), total: result.total, page: query.page, page_size: query.page_size };
      },
    );

    app.post(
      '/api/v1/users',
      {
        config: { access: 'admin', auditResource: 'user' },
        schema: {
          tags: ['users'],
          summary: 'Create a user (argon2id password hash; at least 12 characters)',
          body: z.object({
            username: usernameSchema,
            password: z.string().min(1).max(1000),
            role: roleSchema,
            display_name: displaySafe(z.string().max(200).nullable()).optional(),
          }),
          response: { 201: userSchema, ...errors },
        },
      },
      async (request, reply) => {
        const user = await createUser(store, {
          username: request.body.username,
          password: request.body.password,
          role: request.body.role,
          displayName: request.body.display_name ?? null,
        });
        return reply.status(201).send(toUserBody(user));
      },
    );

    app.get(
      '/api/v1/users/:id',
      { config: { access: 'admin' }, schema: { tags: ['users'], summary: 'One user', params: idParamsSchema, response: { 200: userSchema, ...errors } } },
      async (request) => {
        const user = await users.findById(request.params.id);
        if (!user) throw notFound(request.params.id);
        return toUserBody(user);
      },
    );

    app.patch(
      '/api/v1/users/:id',
      {
        config: { access: 'admin', auditResource: 'user' },
        schema: {
          tags: ['users'],
          summary: 'Change role, display name, password, or disable/enable (disabling or a new password ends sessions at once)',
          params: idParamsSchema,
          body: z
            .object({
              role: roleSchema.optional(),
              display_name: displaySafe(z.string().max(200).nullable()).optional(),
              disabled: z.boolean().optional(),
              password: z.string().min(1).max(1000).optional(),
            })
            .strict(),
          response: { 200: userSchema, ...errors },
        },
      },
      async (request) => {
        const body = request.body;
        const user = await updateUser(store, request.params.id, {
          role: body.role,
          displayName: body.display_name,
          disabled: body.disabled,
          password: body.password,
        });
        return toUserBody(user);
      },
    );

    app.delete(
      '/api/v1/users/:id',
      {
        config: { access: 'admin', auditResource: 'user' },
        schema: { tags: ['users'], summary: 'Delete a user with its sessions and tokens (audit rows stay)', params: idParamsSchema, response: { 204: z.null(), ...errors } },
      },
      async (request, reply) => {
        if (!(await users.delete(request.params.id))) throw notFound(request.params.id);
        return reply.status(204).send(null);
      },
    );
  };
}
