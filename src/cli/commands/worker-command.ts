import type { Command } from 'commander';

import { assertKeyMatchesStoredSecrets } from '../../store/assert-key-matches.js';
import { resolveEncryptionKey } from '../../secrets/encryption-key.js';
import { SecretBox } from '../../secrets/secret-box.js';
import { openStore } from '../../store/open-store.js';
import { sealHeadersOfOlderVersions } from './seal-legacy-secrets.js';
import { parseMillis, startJobWorker } from '../../jobs/start-job-worker.js';
import { createCliContext } from '../cli-context.js';
import { handleShutdownSignals } from '../shutdown.js';

export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description('Run jobs without serving HTTP; any number of workers share the work through PostgreSQL')
    .option('--concurrency <n>', 'jobs run at once (env PGFERRY_WORKER_CONCURRENCY, default 2)')
    .option('--poll-ms <ms>', 'how often to look for due ticks and queued runs (default 500)')
    .option('--heartbeat-ms <ms>', 'how often running runs prove they are alive (default 2000)')
    .option('--dead-after-ms <ms>', "fail a run whose worker's heartbeat is older than this (default 30000)")
    .option('--no-scheduler', 'run queued runs but do not fire cron ticks')
    .action(async (options: { concurrency?: string; pollMs?: string; heartbeatMs?: string; deadAfterMs?: string; scheduler: boolean }) => {
      const { config, logger } = createCliContext({ PGFERRY_WORKER_CONCURRENCY: options.concurrency });
      const store = await openStore({
        config,
        logger,
        schema: config.PGFERRY_SCHEMA_MODE === 'auto' ? 'migrate' : 'check',
      });
      // A key that cannot open the stored secrets stops the worker here, not at its first job.
      const secrets = await (async () => {
        const box = new SecretBox(await resolveEncryptionKey(config, logger));
        await assertKeyMatchesStoredSecrets(store.db, box);
        await sealHeadersOfOlderVersions(store.db, box, logger);
        return box;
      })().catch(async (error: unknown) => {
        await store.close();
        throw error;
      });
      const worker = startJobWorker({
        db: store.db,
        pool: store.pool,
        secrets,
        logger,
        config,
        tuning: {
          pollIntervalMs: parseMillis('--poll-ms', options.pollMs),
          heartbeatIntervalMs: parseMillis('--heartbeat-ms', options.heartbeatMs),
          deadAfterMs: parseMillis('--dead-after-ms', options.deadAfterMs),
          scheduler: options.scheduler,
        },
      });
      handleShutdownSignals({
        logger,
        timeoutMs: config.PGFERRY_SHUTDOWN_TIMEOUT_MS,
        graceful: async () => {
          // Running runs get most of the shutdown budget to finish; then they are aborted and stored.
          await worker.stop(Math.max(0, config.PGFERRY_SHUTDOWN_TIMEOUT_MS - 5000));
          await store.close();
        },
        forceful: async () => {
          await store.embedded?.stop('immediate');
        },
      });
      logger.info({ concurrency: config.PGFERRY_WORKER_CONCURRENCY, workerId: worker.workerId }, 'worker started');
    });
}
