import type { Command } from 'commander';

import { buildApp } from '../../api/build-app.js';
import { ensureFirstAdmin, firstAdminNotice } from '../../auth/bootstrap-admin.js';
import { assertKeyMatchesStoredSecrets } from '../../store/assert-key-matches.js';
import { resolveEncryptionKey } from '../../secrets/encryption-key.js';
import { SecretBox } from '../../secrets/secret-box.js';
import { openStore } from '../../store/open-store.js';
import { startJobWorker } from '../../jobs/start-job-worker.js';
import { createCliContext } from '../cli-context.js';
import { handleShutdownSignals } from '../shutdown.js';
import { sealHeadersOfOlderVersions } from './seal-legacy-secrets.js';

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('Serve the API and web UI (and run jobs unless --no-worker); starts an embedded PostgreSQL when DATABASE_URL is unset')
    .option('--port <port>', 'HTTP port (env PORT, default 7910)')
    .option('--host <host>', 'bind address (env HOST, default 127.0.0.1)')
    .option('--no-worker', 'do not run jobs in this process')
    .action(async (options: { port?: string; host?: string; worker: boolean }) => {
      const { config, logger } = createCliContext({ PORT: options.port, HOST: options.host });
      const secrets = new SecretBox(await resolveEncryptionKey(config, logger));
      const store = await openStore({
        config,
        logger,
        schema: config.PGFERRY_SCHEMA_MODE === 'auto' ? 'migrate' : 'check',
      });
      await assertKeyMatchesStoredSecrets(store.db, secrets)
        .then(() => sealHeadersOfOlderVersions(store.db, secrets, logger))
        .catch(async (error: unknown) => {
          await store.close();
          throw error;
        });
      // Embedded mode: the first start creates an admin before the port opens (never a server without one).
      const firstAdmin = store.embedded ? await ensureFirstAdmin(store) : undefined;
      const app = await buildApp({ config, store, logger, secrets, migrator: store.migrator });
      const worker = options.worker ? startJobWorker({ db: store.db, pool: store.pool, secrets, logger, config }) : undefined;
      handleShutdownSignals({
        logger,
        timeoutMs: config.PGFERRY_SHUTDOWN_TIMEOUT_MS,
        graceful: async () => {
          await app.close();
          await worker?.stop(Math.max(0, config.PGFERRY_SHUTDOWN_TIMEOUT_MS - 5000));
          await store.close();
        },
        forceful: async () => {
          await store.embedded?.stop('immediate');
        },
      });
      try {
        await app.listen({ port: config.PORT, host: config.HOST });
      } catch (error) {
        await worker?.stop(0);
        await store.close();
        throw error;
      }
      logger.info(
        { url: `http://${config.HOST}:${config.PORT}`, store: store.embedded ? 'embedded' : 'DATABASE_URL' },
        `pgferry is serving on http://${config.HOST}:${config.PORT} (API docs at /docs)`,
      );
      // Printed once, on stdout, never in the log.
      if (firstAdmin) process.stdout.write(`${firstAdminNotice(firstAdmin, `http://${config.HOST}:${config.PORT}`)}\n`);
    });
}
