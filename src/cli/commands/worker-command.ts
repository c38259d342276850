import type { Command } from 'commander';

import { assertKeyMatchesStoredSecrets } from '../../secrets/assert-key-matches.js';
import { resolveEncryptionKey } from '../../secrets/encryption-key.js';
import { SecretBox } from '../../secrets/secret-box.js';
import { openStore } from '../../store/open-store.js';
import { createCliContext } from '../cli-context.js';
import { handleShutdownSignals } from '../shutdown.js';

export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description('Run jobs without serving HTTP; any number of workers share the work through PostgreSQL')
    .option('--concurrency <n>', 'jobs run at once (env PGFERRY_WORKER_CONCURRENCY, default 2)')
    .action(async (options: { concurrency?: string }) => {
      const { config, logger } = createCliContext({ PGFERRY_WORKER_CONCURRENCY: options.concurrency });
      const store = await openStore({
        config,
        logger,
        schema: config.PGFERRY_SCHEMA_MODE === 'auto' ? 'migrate' : 'check',
      });
      // A key that cannot open the stored secrets stops the worker here, not at its first job.
      await (async () => assertKeyMatchesStoredSecrets(store.db, new SecretBox(await resolveEncryptionKey(config, logger))))().catch(
        async (error: unknown) => {
          await store.close();
          throw error;
        },
      );
      // Keeps the process alive until a signal; the job runner attaches here.
      const keepAlive = setInterval(() => undefined, 60_000);
      handleShutdownSignals({
        logger,
        timeoutMs: config.PGFERRY_SHUTDOWN_TIMEOUT_MS,
        graceful: async () => {
          clearInterval(keepAlive);
          await store.close();
        },
        forceful: async () => {
          await store.embedded?.stop('immediate');
        },
      });
      logger.info({ concurrency: config.PGFERRY_WORKER_CONCURRENCY }, 'worker started');
    });
}
