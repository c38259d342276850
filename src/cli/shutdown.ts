import type { Logger } from '../logger.js';

export interface ShutdownOptions {
  logger: Logger;
  timeoutMs: number;
  /** Stop accepting work, finish what is running, close pools and the embedded server. */
  graceful: () => Promise<void>;
  /** Abort everything now (second signal or graceful timeout). */
  forceful: () => Promise<void>;
}

/**
 * Under `npx`/`npm run`, one Ctrl-C reaches us twice (the terminal signals the process group
 * and npm forwards it): a repeat within this window is the same request, not a second one.
 */
export const repeatedSignalWindowMs = 1000;

/** First SIGINT/SIGTERM: graceful; a second one, or the timeout: forceful. */
export function handleShutdownSignals(options: ShutdownOptions): void {
  let stopping = false;
  let firstSignalAt = 0;
  const forceful = async (reason: string) => {
    options.logger.warn({ reason }, 'forceful shutdown');
    await options.forceful().catch((error: unknown) => options.logger.error({ err: error }, 'forceful shutdown failed'));
    process.exit(1);
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      if (Date.now() - firstSignalAt >= repeatedSignalWindowMs) void forceful(`second ${signal}`);
      return;
    }
    stopping = true;
    firstSignalAt = Date.now();
    options.logger.info({ signal }, 'shutting down gracefully (send the signal again to force)');
    const timer = setTimeout(() => void forceful(`graceful shutdown exceeded ${options.timeoutMs} ms`), options.timeoutMs);
    timer.unref();
    options
      .graceful()
      .then(() => {
        clearTimeout(timer);
        options.logger.info('stopped');
        options.logger.flush?.();
        process.exit(0);
      })
      .catch((error: unknown) => {
        options.logger.error({ err: error }, 'graceful shutdown failed');
        void forceful('graceful shutdown failed');
      });
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}
