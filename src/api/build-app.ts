import cors from '@fastify/cors';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type RawServerDefault } from 'fastify';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type ZodTypeProvider, jsonSchemaTransform, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';

import type { Config } from '../config/config-schema.js';
import type { Logger } from '../logger.js';
import { StoreMigrator } from '../store/store-migrator.js';
import type { SecretBox } from '../secrets/secret-box.js';
import type { AppStore } from './app-context.js';
import { registerErrorHandling } from './error-handler.js';
import { connectionRoutes } from './connection-routes.js';
import { protectionRoutes } from './protection-routes.js';
import { registerAuth } from '../auth/register-auth.js';
import { authApiRoutes } from './auth-api-routes.js';
import { healthRoutes } from './health-routes.js';
import { storageRoutes } from './storage-routes.js';
import { backupRoutes } from './backup-routes.js';
import { registerMetrics } from './metrics-routes.js';
import { dashboardRoutes } from './dashboard-routes.js';
import { staticUi } from './static-ui.js';
import { syncJobRoutes } from './sync-job-routes.js';
import { followJobRoutes } from './follow-job-routes.js';
import { backupJobRoutes } from './backup-job-routes.js';
import { runRoutes } from './run-routes.js';
import { notificationChannelRoutes } from './notification-channel-routes.js';
import { cronRoutes } from './cron-routes.js';
import type { Cache } from '../cache/cache.js';
import { installCache } from '../cache/install-cache.js';
import { registerSecurityHeaders, requestIdOf, securityHeaders } from './security-headers.js';
import { createOutboundCheck } from '../net/outbound-guard.js';

export interface BuildAppOptions {
  config: Config;
  store: AppStore;
  logger: Logger;
  secrets: SecretBox;
  migrator?: StoreMigrator;
  /** Defaults to a Redis cache when REDIS_URL is set, else a miss-only cache; closed with the app. */
  cache?: Cache;
}

const version = '0.1.0';

/** Builds the HTTP app without listening; tests call `app.inject()`. */
export type App = FastifyInstance<RawServerDefault, IncomingMessage, ServerResponse, FastifyBaseLogger, ZodTypeProvider>;

export async function buildApp(options: BuildAppOptions): Promise<App> {
  const { config, store, logger } = options;
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    // Fastify would take X-Request-Id as sent: requestIdOf keeps it only when it is a plain token.
    requestIdHeader: false,
    genReqId: requestIdOf,
    // Long ids reach their route, whose schema refuses them with a 400 (and an audit row).
    routerOptions: { maxParamLength: 2000 },
    // A URL the router cannot take at all (a malformed escape) reaches no route, like a 404:
    // it still gets the API's error shape and headers.
    frameworkErrors: (error, request, reply) => {
      void (reply as FastifyReply)
        .code(400)
        .header('x-request-id', String(request.id))
        .headers(securityHeaders(request.protocol))
        .send({ error: { code: 'PGF_VALIDATION_FAILED', message: `the URL cannot be read (${error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'a path parameter is too long' : 'a malformed escape'}); check the id or name in the path` }, requestId: request.id });
    },
    bodyLimit: 1024 * 1024,
    trustProxy: config.PGFERRY_TRUST_PROXY,
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  registerErrorHandling(app);
  // Before every route: enforces config.access and writes the audit log (fail closed).
  await registerAuth(app, { config, store });
  installCache(app, { url: config.REDIS_URL, logger, ...(options.cache ? { cache: options.cache } : {}) });
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', String(request.id));
  });
  registerSecurityHeaders(app);

  await app.register(cors, {
    origin: config.PGFERRY_CORS_ORIGINS.includes('*') ? true : config.PGFERRY_CORS_ORIGINS,
    credentials: true,
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'pgferry API',
        version,
        description: 'Sync, back up and restore PostgreSQL databases. Errors are `{error:{code,message,details},requestId}`.',
      },
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { url: '/api/v1/openapi.json' } });

  app.get('/api/v1/openapi.json', { schema: { hide: true }, config: { access: 'public' } }, async () => app.swagger());

  await app.register(healthRoutes(store, options.migrator ?? new StoreMigrator(store.db)));
  registerMetrics(app, { store, version, token: config.PGFERRY_METRICS_TOKEN });
  await app.register(dashboardRoutes(store));
  // Feature routes register below, each under /api/v1 with config.access declared.
  const services = { store, secrets: options.secrets, outbound: createOutboundCheck(config.PGFERRY_OUTBOUND_ALLOW) };
  await app.register(connectionRoutes(services));
  await app.register(protectionRoutes(services));
  await app.register(authApiRoutes({ config, store, secrets: options.secrets }));
  await app.register(syncJobRoutes(services));
  await app.register(followJobRoutes(services));
  await app.register(backupJobRoutes(services));
  await app.register(runRoutes(services));
  await app.register(notificationChannelRoutes(services));
  await app.register(cronRoutes());
  await app.register(storageRoutes(services));
  await app.register(backupRoutes(services));
  // The web UI (web/dist) at `/`, with SPA fallback for non-API GETs; keep this last.
  await app.register(staticUi());
  return app;
}
