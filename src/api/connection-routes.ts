import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';

import { describeTable, listSchemas, listTables } from '../engine/catalog/read-catalog.js';
import { clientConfigFromFields } from '../engine/connection-config.js';
import { withTargetClient } from '../engine/connection-test/connect-target.js';
import { testConnection } from '../engine/connection-test/test-connection.js';
import { loadAllowedConnectionTarget } from '../net/allowed-targets.js';
import { checkPgConfig } from '../net/outbound-guard.js';
import { type ConnectionInput, createConnection, updateConnection } from '../jobs/connection-service.js';
import { deleteConnection, getConnection, listConnections } from '../store/connection-repository.js';
import { auditProbeOutcome } from './audit-outcome.js';
import { errorBodySchema } from './api-schemas.js';
import type { AppServices } from './app-context.js';
import {
  type ConnectionBody,
  connectionBodySchema,
  connectionListQuerySchema,
  connectionListSchema,
  connectionParamsSchema,
  connectionTestResultSchema,
  connectionViewSchema,
  schemaListSchema,
  tableDetailSchema,
  tableListQuerySchema,
  tableListSchema,
  tableParamsSchema,
  targetFieldsFromBody,
  testSavedBodySchema,
  testUnsavedBodySchema,
} from './connection-schemas.js';

/** Browsing connects on demand: bounded connect and statement times, one client per request. */
const browseLimits = { timeoutMs: 10_000, statementTimeoutMs: 30_000 };

/** Catalogs change rarely and browsing re-reads them on every click: 60 s in the REDIS_URL cache. */
const introspectionTtlSeconds = 60;

/**
 * Cache keys of a connection's browse results. Keyed by id (not the name in the URL, which a
 * rename changes) so updating or deleting the connection can drop them all by prefix; names are
 * URI-encoded so a `:` in a schema or table name cannot make two keys collide.
 */
const introspectionPrefix = (connectionId: string) => `introspection:${connectionId}:`;
const introspectionKey = (connectionId: string, ...parts: string[]) =>
  introspectionPrefix(connectionId) + parts.map((part) => encodeURIComponent(part)).join(':');

const errors = { 400: errorBodySchema, 403: errorBodySchema, 404: errorBodySchema, 409: errorBodySchema, 500: errorBodySchema, 502: errorBodySchema, 503: errorBodySchema, 504: errorBodySchema };

function inputFromBody(body: ConnectionBody): ConnectionInput {
  return {
    name: body.name,
    description: body.description,
    protected: body.protected,
    tags: body.tags,
    fields: targetFieldsFromBody(body),
  };
}

/** `/api/v1/connections`: the registry, tests, and catalog browsing of saved connections. */
export function connectionRoutes(services: AppServices): FastifyPluginAsyncZod {
  const { store, secrets, outbound } = services;
  const db = store.db;
  const loadTarget = (idOrName: string) => loadAllowedConnectionTarget(db, secrets, outbound, idOrName);
  return async (app) => {
    const tags = ['connections'];

    app.get(
      '/api/v1/connections',
      {
        config: { access: 'viewer' },
        schema: { tags, summary: 'List connections (paged, searchable)', querystring: connectionListQuerySchema, response: { 200: connectionListSchema, ...errors } },
      },
      async (request) => listConnections(db, request.query),
    );

    app.post(
      '/api/v1/connections',
      {
        config: { access: 'admin', auditResource: 'connection' },
        schema: { tags, summary: 'Register a connection', body: connectionBodySchema, response: { 201: connectionViewSchema, ...errors } },
      },
      async (request, reply) => reply.status(201).send(await createConnection(db, secrets, inputFromBody(request.body))),
    );

    app.post(
      '/api/v1/connections/test',
      {
        config: { access: 'admin', auditResource: 'connection' },
        schema: {
          tags,
          summary: 'Test an unsaved connection (reachability, version, latency, size, privileges)',
          body: testUnsavedBodySchema,
          response: { 200: connectionTestResultSchema, ...errors },
        },
      },
      async (request) => {
        const { schemas, as, timeout_ms: timeoutMs, ...target } = request.body;
        const fields = targetFieldsFromBody(target);
        const config = clientConfigFromFields({ ...fields, password: fields.password ?? undefined });
        await checkPgConfig(outbound, config, 'connection test');
        const result = await testConnection(config, {
          ...(schemas ? { schemas } : {}),
          ...(as ? { as } : {}),
          ...(timeoutMs ? { timeoutMs } : {}),
        });
        return auditProbeOutcome(request, result, result.error);
      },
    );

    app.get(
      '/api/v1/connections/:id',
      {
        config: { access: 'viewer' },
        schema: { tags, summary: 'Get a connection (never its password)', params: connectionParamsSchema, response: { 200: connectionViewSchema, ...errors } },
      },
      async (request) => getConnection(db, request.params.id),
    );

    app.put(
      '/api/v1/connections/:id',
      {
        config: { access: 'admin', auditResource: 'connection' },
        schema: {
          tags,
          summary: 'Replace a connection; without password the stored one is kept',
          params: connectionParamsSchema,
          body: connectionBodySchema,
          response: { 200: connectionViewSchema, ...errors },
        },
      },
      async (request) => {
        const updated = await updateConnection(db, secrets, request.params.id, inputFromBody(request.body));
        // New host or credentials may point at another catalog: forget what was browsed.
        await app.cache.invalidate(introspectionPrefix(updated.id));
        return updated;
      },
    );

    app.delete(
      '/api/v1/connections/:id',
      {
        config: { access: 'admin', auditResource: 'connection' },
        schema: {
          tags,
          summary: 'Delete a connection (409 naming the jobs that still use it)',
          params: connectionParamsSchema,
          response: { 204: z.null().describe('Deleted'), ...errors },
        },
      },
      async (request, reply) => {
        const deleted = await deleteConnection(db, request.params.id);
        await app.cache.invalidate(introspectionPrefix(deleted.id));
        return reply.status(204).send(null);
      },
    );

    app.post(
      '/api/v1/connections/:id/test',
      {
        config: { access: 'operator', auditResource: 'connection' },
        schema: {
          tags,
          summary: 'Test a saved connection',
          params: connectionParamsSchema,
          body: testSavedBodySchema.nullish(),
          response: { 200: connectionTestResultSchema, ...errors },
        },
      },
      async (request) => {
        const target = await loadTarget(request.params.id);
        const { schemas, as, timeout_ms: timeoutMs } = request.body ?? {};
        const result = await testConnection(target.config, { ...(schemas ? { schemas } : {}), ...(as ? { as } : {}), ...(timeoutMs ? { timeoutMs } : {}) });
        return auditProbeOutcome(request, result, result.error);
      },
    );

    app.get(
      '/api/v1/connections/:id/schemas',
      {
        config: { access: 'viewer' },
        schema: { tags, summary: "List the connection's schemas", params: connectionParamsSchema, response: { 200: schemaListSchema, ...errors } },
      },
      async (request) => {
        const target = await loadTarget(request.params.id);
        const items = await app.cache.wrap(introspectionKey(target.id, 'schemas'), introspectionTtlSeconds, () =>
          withTargetClient(target.config, browseLimits, (client) => listSchemas(client)),
        );
        return { items };
      },
    );

    app.get(
      '/api/v1/connections/:id/tables',
      {
        config: { access: 'viewer' },
        schema: {
          tags,
          summary: 'List the tables of a schema with estimated rows, size, keys and partitioning',
          params: connectionParamsSchema,
          querystring: tableListQuerySchema,
          response: { 200: tableListSchema, ...errors },
        },
      },
      async (request) => {
        const target = await loadTarget(request.params.id);
        const { schema } = request.query;
        const items = await app.cache.wrap(introspectionKey(target.id, 'tables', schema), introspectionTtlSeconds, () =>
          withTargetClient(target.config, browseLimits, (client) => listTables(client, schema)),
        );
        return { items };
      },
    );

    app.get(
      '/api/v1/connections/:id/tables/:schema/:table',
      {
        config: { access: 'viewer' },
        schema: { tags, summary: "A table's columns, keys and foreign keys", params: tableParamsSchema, response: { 200: tableDetailSchema, ...errors } },
      },
      async (request) => {
        const target = await loadTarget(request.params.id);
        const { schema, table } = request.params;
        return app.cache.wrap(introspectionKey(target.id, 'table', schema, table), introspectionTtlSeconds, () =>
          withTargetClient(target.config, browseLimits, (client) => describeTable(client, schema, table)),
        );
      },
    );
  };
}
