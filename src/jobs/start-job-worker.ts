import path from 'node:path';

import type { Kysely } from 'kysely';
import type pg from 'pg';

import type { Config } from '../config/config-schema.js';
import { PgferryError } from '../errors/pgferry-error.js';
import type { Logger } from '../logger.js';
import { createOutboundCheck } from '../net/outbound-guard.js';
import { defaultDeliveryPolicy } from '../notifications/notification-dispatcher.js';
import { notificationHooks } from '../notifications/notification-hooks.js';
import type { SecretBox } from '../secrets/secret-box.js';
import type { StoreDatabase } from '../store/store-types.js';
import { defaultExecutors } from './executors/default-executors.js';
import { JobWorker, type JobWorkerOptions } from './job-worker.js';
import type { RunExecutors } from './run-executor.js';

export interface WorkerTuning {
  pollIntervalMs?: number | undefined;
  heartbeatIntervalMs?: number | undefined;
  deadAfterMs?: number | undefined;
  scheduler?: boolean | undefined;
}

/** The worker `pgferry worker` and `pgferry serve` run: real engines, notifications, retention. */
export function startJobWorker(options: {
  db: Kysely<StoreDatabase>;
  /** The store's pool, to LISTEN for queued runs (optional: polling alone also works). */
  pool?: pg.Pool;
  secrets: SecretBox;
  logger: Logger;
  config: Config;
  executors?: RunExecutors;
  tuning?: WorkerTuning;
}): JobWorker {
  const tuning = Object.fromEntries(Object.entries(options.tuning ?? {}).filter(([, value]) => value !== undefined)) as Partial<JobWorkerOptions>;
  const outbound = createOutboundCheck(options.config.PGFERRY_OUTBOUND_ALLOW);
  const worker = new JobWorker({
    db: options.db,
    secrets: options.secrets,
    outbound,
    logger: options.logger,
    executors: options.executors ?? defaultExecutors,
    concurrency: options.config.PGFERRY_WORKER_CONCURRENCY,
    logRetentionDays: options.config.PGFERRY_LOG_RETENTION_DAYS,
    hooks: notificationHooks(options.db, options.secrets, options.logger, defaultDeliveryPolicy, outbound),
    listenPool: options.pool,
    walSpoolDir: path.join(options.config.PGFERRY_HOME, 'wal-spool'),
    ...tuning,
  });
  worker.start();
  return worker;
}

/** Parses a positive millisecond flag, naming the flag when it is wrong. */
export function parseMillis(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 10 || parsed > 3_600_000) {
    throw new PgferryError('PGF_VALIDATION_FAILED', `${flag}: expected milliseconds between 10 and 3600000, got "${value}"`);
  }
  return parsed;
}
