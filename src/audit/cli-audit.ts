import os from 'node:os';

import type { AppStore } from '../store/app-store.js';
import { AuditRepository } from '../store/audit-repository.js';
import { redactBody } from './redact-body.js';

/** Who ran a local CLI command: the operating-system account and host, not a pgferry user. */
export function cliActorName(): string {
  let user = 'unknown';
  try {
    user = os.userInfo().username;
  } catch {
    // No passwd entry (some containers): the host still says where it happened.
  }
  return `cli:${user}@${os.hostname()}`.slice(0, 200);
}

/**
 * Local CLI commands change the store without HTTP, so they write their own audit row
 * (actor type `system`). Call it after the change succeeded, with the command's input.
 */
export async function auditCliAction(
  store: AppStore,
  entry: { action: string; resourceType: string; resourceId: string | null; input?: unknown },
): Promise<void> {
  await new AuditRepository(store.db).append({
    actorType: 'system',
    actorId: null,
    actorName: cliActorName(),
    actorTokenId: null,
    action: entry.action,
    resourceType: entry.resourceType,
    resourceId: entry.resourceId,
    ip: null,
    userAgent: 'pgferry-cli',
    requestId: null,
    requestBody: entry.input === undefined ? null : redactBody(entry.input),
    status: null,
  });
}
