import type { FastifyInstance } from 'fastify';

import type { AppStore } from '../store/app-store.js';
import type { Config } from '../config/config-schema.js';
import { AuditRepository } from '../store/audit-repository.js';
import { LoginChallengeRepository } from '../store/login-challenge-repository.js';
import { LoginThrottleRepository } from '../store/login-throttle-repository.js';
import { SessionRepository } from '../store/session-repository.js';

const firstRunDelayMs = 60_000;
const intervalMs = 6 * 60 * 60 * 1000;

/** Deletes audit rows past retention, expired sessions, stale login counters and second-factor challenges. Idempotent,
 * so several API processes may all run it. */
export async function runAuthHousekeeping(store: AppStore, config: Config): Promise<{ auditRowsDeleted: number; sessionsDeleted: number }> {
  const auditRowsDeleted = await new AuditRepository(store.db).prune(config.PGFERRY_AUDIT_RETENTION_DAYS);
  const sessionsDeleted = await new SessionRepository(store.db).deleteExpired();
  await new LoginThrottleRepository(store.db).pruneExpired(config.PGFERRY_LOGIN_WINDOW_SECONDS);
  await new LoginChallengeRepository(store.db).deleteExpired();
  return { auditRowsDeleted, sessionsDeleted };
}

export function scheduleAuthHousekeeping(app: FastifyInstance, store: AppStore, config: Config): void {
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  const run = async () => {
    if (closed) return;
    try {
      const result = await runAuthHousekeeping(store, config);
      if (result.auditRowsDeleted > 0 || result.sessionsDeleted > 0) app.log.info(result, 'pruned old audit rows and expired sessions');
    } catch (error) {
      app.log.warn({ err: error }, 'audit/session housekeeping failed; it runs again later');
    }
    if (!closed) timer = setTimeout(() => void run(), intervalMs).unref();
  };
  app.addHook('onReady', async () => {
    timer = setTimeout(() => void run(), firstRunDelayMs).unref();
  });
  app.addHook('onClose', async () => {
    closed = true;
    if (timer) clearTimeout(timer);
  });
}
