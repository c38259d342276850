import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

import type { AppStore } from '../store/app-store.js';
import { PgferryError } from '../errors/pgferry-error.js';
import { AuditRepository, type NewAuditEntry } from '../store/audit-repository.js';
import { deriveAuditAction } from './audit-action.js';
import { redactBody, storableText } from './redact-body.js';

const readOnly = new Set(['GET', 'HEAD', 'OPTIONS']);
const written = Symbol('pgferry.auditWritten');
const pending = Symbol('pgferry.auditPending');

type AuditedRequest = FastifyRequest & { [written]?: boolean; [pending]?: string };

/**
 * One audit row per mutating request (allowed or refused) and per login attempt, and it fails
 * closed: a request that reaches its handler has its row written first, as pending, and is
 * refused (PGF_AUDIT_UNAVAILABLE, 503) when that row cannot be written — nothing changes
 * unrecorded. The row is completed with the answer's status in onSend, before the answer
 * leaves; a request refused before its handler (authentication, validation) gets its whole
 * row there. onResponse catches the rare reply that skipped onSend.
 */
export function registerAuditHooks(app: FastifyInstance, store: AppStore): void {
  const audit = new AuditRepository(store.db);

  app.addHook('preHandler', async (request: AuditedRequest, reply) => {
    if (readOnly.has(request.method) || request.is404) return;
    const { status: _status, ...entry } = auditEntry(request, reply, undefined);
    try {
      request[pending] = await audit.begin(entry);
    } catch (error) {
      request.log.error({ err: error, action: entry.action }, 'could not write the audit row before the change; the request is refused');
      throw new PgferryError('PGF_AUDIT_UNAVAILABLE', `the audit log cannot be written (${entry.action}), so nothing was changed; check the metadata store and try again`);
    }
  });

  const write = async (request: AuditedRequest, reply: FastifyReply, payload: unknown) => {
    if (request[written] || request.is404) return;
    if (readOnly.has(request.method) && request.routeOptions.config.auditRead !== true) return;
    request[written] = true;
    const entry = auditEntry(request, reply, payload);
    const begun = request[pending];
    if (begun !== undefined) {
      try {
        await audit.complete(begun, { ...entry, status: entry.status ?? reply.statusCode });
      } catch (error) {
        // The row exists (pending): the change is recorded, its outcome is not. Loud, not lost.
        request.log.error({ err: error, action: entry.action, auditId: begun }, 'could not record the outcome on this request\'s audit row; it stays pending');
      }
      return;
    }
    try {
      await audit.append(entry);
    } catch (error) {
      // No request goes unrecorded for what it carried: the row is written again without the body.
      request.log.error({ err: error, action: request.routeOptions.url }, 'could not write the audit row for this request; writing it without its body');
      try {
        await audit.append({ ...entry, requestBody: '[body could not be recorded]' });
      } catch (retryError) {
        // Only refusals reach here (the handler never ran): nothing changed, but say it loudly.
        request.log.error({ err: retryError, action: request.routeOptions.url }, 'could not write the audit row for this request');
      }
    }
  };

  app.addHook('onSend', async (request, reply, payload) => {
    await write(request, reply, payload);
    return payload;
  });
  app.addHook('onResponse', async (request, reply) => {
    await write(request, reply, undefined);
  });
}

export function auditEntry(request: FastifyRequest, reply: FastifyReply, payload: unknown): NewAuditEntry {
  const config = request.routeOptions.config;
  const principal = request.principal;
  const routeUrl = request.routeOptions.url ?? request.url;
  const userAgent = request.headers['user-agent'];
  // Every text comes from the client in some way: none may make the row fail (item 3 of issue 15).
  const text = (value: string | null | undefined, max: number) => (value === null || value === undefined ? null : storableText(value).slice(0, max));
  return {
    actorType: principal ? (principal.kind === 'token' ? 'token' : 'user') : 'anonymous',
    actorId: principal?.userId ?? null,
    actorName: text(principal?.username ?? request.auditContext?.actorName, 200),
    actorTokenId: principal?.tokenId ?? null,
    action: text(config.auditAction ?? deriveAuditAction(request.method, routeUrl, config.auditResource), 200) ?? 'unknown',
    resourceType: config.auditResource ?? null,
    resourceId: text(resourceId(request, reply, payload), 200),
    ip: request.ip ?? null,
    userAgent: text(typeof userAgent === 'string' ? userAgent : null, 500),
    requestId: text(String(request.id), 100) ?? '',
    requestBody: request.body === undefined ? null : redactBody(request.body),
    status: reply.statusCode < 300 ? (request.auditContext?.outcomeStatus ?? reply.statusCode) : reply.statusCode,
  };
}

function resourceId(request: FastifyRequest, reply: FastifyReply, payload: unknown): string | null {
  if (request.auditContext?.resourceId) return request.auditContext.resourceId;
  const params = (request.params ?? {}) as Record<string, unknown>;
  const fromParams = params.id ?? Object.values(params)[0];
  if (typeof fromParams === 'string' && fromParams !== '') return fromParams.slice(0, 200);
  // A create answers with the new resource; its id is the one worth recording.
  if (reply.statusCode < 300 && typeof payload === 'string' && payload.startsWith('{') && payload.length < 1_000_000) {
    try {
      const id = (JSON.parse(payload) as { id?: unknown }).id;
      if (typeof id === 'string' || typeof id === 'number') return String(id);
    } catch {
      return null;
    }
  }
  return null;
}
