import { sql } from 'kysely';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';

import { PgferryError } from '../errors/pgferry-error.js';
import type { StoreMigrator } from '../store/store-migrator.js';
import type { AppStore } from './app-context.js';
import { errorBodySchema } from './api-schemas.js';

const readyTimeoutMs = 3000;

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function readiness(store: AppStore, migrator: StoreMigrator): Promise<string | null> {
  try {
    await withTimeout(sql`SELECT 1`.execute(store.db), readyTimeoutMs);
  } catch (error) {
    throw new PgferryError(
      'PGF_STORE_UNREACHABLE',
      `the metadata store is unreachable (${error instanceof Error ? error.message : String(error)})`,
    );
  }
  const status = await migrator.status();
  if (!status.initialised || status.pending.length > 0) {
    throw new PgferryError(
      'PGF_SCHEMA_NOT_CURRENT',
      `the metadata store has ${status.pending.length} pending migration(s); run \`pgferry db upgrade\``,
      { details: { pending: status.pending } },
    );
  }
  return status.current;
}

export function healthRoutes(store: AppStore, migrator: StoreMigrator): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/health',
      {
        config: { access: 'public' },
        schema: {
          tags: ['health'],
          summary: 'Liveness: the process is up',
          response: { 200: z.object({ status: z.literal('ok') }) },
        },
      },
      async () => ({ status: 'ok' as const }),
    );

    app.get(
      '/ready',
      {
        config: { access: 'public' },
        schema: {
          tags: ['health'],
          summary: 'Readiness: the metadata store answers and its migrations are current',
          response: {
            200: z.object({ status: z.literal('ready'), migration: z.string().nullable() }),
            503: errorBodySchema,
          },
        },
      },
      async () => ({ status: 'ready' as const, migration: await readiness(store, migrator) }),
    );
  };
}
