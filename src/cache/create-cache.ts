import type { Logger } from '../logger.js';
import { type Cache, NoCache } from './cache.js';
import { RedisCache } from './redis-cache.js';

/** A Redis cache when REDIS_URL is set, otherwise a cache that always misses. */
export function createCache(options: { url: string | undefined; logger: Logger }): Cache {
  if (options.url === undefined) return new NoCache();
  return new RedisCache({ url: options.url, logger: options.logger });
}
