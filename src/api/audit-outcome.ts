import type { FastifyRequest } from 'fastify';

import { errorCodes } from '../errors/error-codes.js';

/**
 * A probe answers 200 with `ok: false` (the UI shows the result, not an HTTP error), but its
 * audit row must read as the failure it was: it gets the status the error's code maps to.
 */
export function auditProbeOutcome<Result extends { ok: boolean }>(request: FastifyRequest, result: Result, failure: { code?: string | undefined } | null | undefined, fallbackStatus = 502): Result {
  if (!result.ok) {
    const code = failure?.code;
    const status = code !== undefined && code in errorCodes ? errorCodes[code as keyof typeof errorCodes].status : fallbackStatus;
    request.auditContext = { ...request.auditContext, outcomeStatus: status };
  }
  return result;
}
