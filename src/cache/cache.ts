/**
 * An optional cache in front of expensive reads (dashboard aggregates, catalog
 * introspection). PostgreSQL stays the source of truth: every method degrades to "miss" or
 * "did nothing" when the cache is unavailable, so callers never need a try/catch.
 */
export interface Cache {
  /** `redis` when REDIS_URL is set, else `none` (every read misses). */
  readonly kind: 'redis' | 'none';
  get<T>(key: string): Promise<T | undefined>;
  set(key: string, value: unknown, ttlSeconds: number): Promise<void>;
  /** Returns the cached value, or computes it, stores it for `ttlSeconds` and returns it. */
  wrap<T>(key: string, ttlSeconds: number, compute: () => Promise<T>): Promise<T>;
  /** Forgets every key starting with `prefix` (e.g. `introspection:<connection id>:`). */
  invalidate(prefix: string): Promise<void>;
  close(): Promise<void>;
}

/** The cache when REDIS_URL is unset: always a miss, so `wrap` always computes. */
export class NoCache implements Cache {
  readonly kind = 'none' as const;
  async get<T>(): Promise<T | undefined> {
    return undefined;
  }
  async set(): Promise<void> {}
  async wrap<T>(_key: string, _ttlSeconds: number, compute: () => Promise<T>): Promise<T> {
    return compute();
  }
  async invalidate(): Promise<void> {}
  async close(): Promise<void> {}
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The optional cache (REDIS_URL); a miss-only cache when unset. Closed with the app. */
    cache: Cache;
  }
}
