import type { RetryOptions } from '../types.js';

/**
 * SQLSTATEs worth retrying: the server or network went away, or concurrency made the
 * statement lose (serialization failure, deadlock, lock timeout, no connection slot).
 */
const transientStates = new Set(['40001', '40P01', '55P03', '57P01', '57P02', '57P03', '53300', '58030']);
const transientNodeCodes = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH']);

/** Walks the `cause` chain; true when any link is transient. */
export function isTransientError(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 8 && current !== undefined && current !== null; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') {
      if (transientStates.has(code) || code.startsWith('08') || transientNodeCodes.has(code)) return true;
    }
    const message = (current as { message?: unknown }).message;
    if (typeof message === 'string' && /Connection terminated|terminating connection|server closed the connection/i.test(message)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

export function errorCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'unknown';
}

export const defaultRetry: RetryOptions = { attempts: 4, baseDelayMs: 500, maxDelayMs: 10_000 };

/** Capped exponential backoff for the attempt that just failed (1-based). */
export function backoffMs(attempt: number, options: RetryOptions): number {
  return Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (attempt - 1));
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
