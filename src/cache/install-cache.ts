import type { FastifyInstance } from 'fastify';

import type { Logger } from '../logger.js';
import type { Cache } from './cache.js';
import { createCache } from './create-cache.js';

/** Makes `app.cache` available to every route and closes it with the app. */
export function installCache(app: FastifyInstance, options: { url: string | undefined; logger: Logger; cache?: Cache }): Cache {
  const cache = options.cache ?? createCache({ url: options.url, logger: options.logger });
  app.decorate('cache', cache);
  app.addHook('onClose', async () => cache.close());
  return cache;
}
