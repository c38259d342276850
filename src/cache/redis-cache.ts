import { Redis } from 'ioredis';

import type { Logger } from '../logger.js';
import type { Cache } from './cache.js';

export interface RedisCacheOptions {
  url: string;
  logger: Logger;
  /** Namespace of every key (default: `pgferry:`), so one Redis can serve several installs. */
  keyPrefix?: string;
  /** A command that takes longer counts as failed (default: 500 ms): a slow cache must not slow requests. */
  commandTimeoutMs?: number;
}

const redactUrl = (url: string): string => {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
};

/**
 * Redis-backed cache. Each operation is tried, retried once, then given up with a warning:
 * the caller gets a miss (reads) or nothing happens (writes), never an error. Commands fail
 * fast while disconnected (no offline queue) and ioredis reconnects in the background.
 */
export class RedisCache implements Cache {
  readonly kind = 'redis' as const;
  readonly #client: Redis;
  readonly #logger: Logger;
  readonly #prefix: string;
  #available = true;
  #closed = false;
  /** Until the first connection is up, a refused command is expected, not an outage. */
  #connectedOnce = false;

  constructor(options: RedisCacheOptions) {
    this.#logger = options.logger;
    this.#prefix = options.keyPrefix ?? 'pgferry:';
    this.#client = new Redis(options.url, {
      lazyConnect: false,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: options.commandTimeoutMs ?? 500,
      connectTimeout: 2000,
      // Keep reconnecting, at most every 5 s, for as long as the process lives.
      retryStrategy: (attempt) => Math.min(attempt * 200, 5000),
    });
    const target = redactUrl(options.url);
    // Without an 'error' listener ioredis would crash the process on a refused connection.
    this.#client.on('error', (error: Error) => this.#markUnavailable(error, `cache: Redis at ${target} failed`));
    this.#client.on('ready', () => {
      if (!this.#available) this.#logger.info({ cache: target }, 'cache: Redis is reachable again');
      this.#available = true;
      this.#connectedOnce = true;
    });
  }

  #markUnavailable(error: unknown, message: string): void {
    // One warning per outage, not one per reconnect attempt or per request.
    if (!this.#available || this.#closed) return;
    this.#available = false;
    this.#logger.warn({ err: error instanceof Error ? { message: error.message } : error }, `${message}; continuing without the cache`);
  }

  async #attempt<T>(operation: string, run: () => Promise<T>): Promise<T | undefined> {
    if (this.#closed) return undefined;
    for (let attempt = 1; attempt <= 2; attempt += 1) {
      try {
        return await run();
      } catch (error) {
        if (attempt === 2) {
          if (this.#connectedOnce) this.#markUnavailable(error, `cache: ${operation} failed twice`);
          this.#logger.debug({ err: { message: (error as Error).message } }, `cache: ${operation} skipped`);
        }
      }
    }
    return undefined;
  }

  async get<T>(key: string): Promise<T | undefined> {
    const text = await this.#attempt('get', () => this.#client.get(this.#prefix + key));
    if (text === undefined || text === null) return undefined;
    try {
      return JSON.parse(text) as T;
    } catch {
      return undefined;
    }
  }

  async set(key: string, value: unknown, ttlSeconds: number): Promise<void> {
    const text = JSON.stringify(value);
    if (text === undefined) return;
    await this.#attempt('set', () => this.#client.set(this.#prefix + key, text, 'EX', Math.max(1, Math.round(ttlSeconds))));
  }

  async wrap<T>(key: string, ttlSeconds: number, compute: () => Promise<T>): Promise<T> {
    const cached = await this.get<T>(key);
    if (cached !== undefined) return cached;
    const value = await compute();
    await this.set(key, value, ttlSeconds);
    return value;
  }

  async invalidate(prefix: string): Promise<void> {
    await this.#attempt('invalidate', async () => {
      let cursor = '0';
      do {
        const [next, keys] = await this.#client.scan(cursor, 'MATCH', `${this.#prefix}${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`, 'COUNT', 200);
        if (keys.length > 0) await this.#client.del(...keys);
        cursor = next;
      } while (cursor !== '0');
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#client.disconnect();
  }
}
