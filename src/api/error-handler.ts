import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';

import { type ErrorCode, errorCodes } from '../errors/error-codes.js';
import { isPgferryError } from '../errors/pgferry-error.js';
import { fieldProblem } from '../errors/validation-error.js';

export interface ErrorBody {
  error: { code: ErrorCode | string; message: string; details?: Record<string, unknown> };
  requestId: string;
}

function send(reply: FastifyReply, request: FastifyRequest, status: number, error: ErrorBody['error']) {
  const body: ErrorBody = { error, requestId: String(request.id) };
  return reply.status(status).send(body);
}

/** One place turns every failure into `{error:{code,message,details},requestId}`. */
export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (isPgferryError(error)) {
      if (error.status >= 500) request.log.error({ err: error }, error.message);
      return send(reply, request, error.status, {
        code: error.code,
        message: error.message,
        ...(error.details ? { details: error.details } : {}),
      });
    }
    if (hasZodFastifySchemaValidationErrors(error)) {
      const fields = error.validation.map((issue) => {
        const where = error.validationContext ?? 'body';
        const pathText = issue.instancePath.replace(/^\//, '').replaceAll('/', '.');
        return fieldProblem(pathText ? `${where}.${pathText}` : where, { ...issue.params, code: issue.keyword, message: issue.message ?? 'invalid' });
      });
      return send(reply, request, 400, {
        code: 'PGF_VALIDATION_FAILED',
        message: `invalid request: ${fields.map((field) => `${field.field}: ${field.message}`).join('; ')}`,
        details: { fields },
      });
    }
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      return send(reply, request, status, {
        code: status === 404 ? 'PGF_NOT_FOUND' : 'PGF_VALIDATION_FAILED',
        message: error.message,
        details: { reason: error.code },
      });
    }
    request.log.error({ err: error }, 'unexpected error');
    return send(reply, request, 500, {
      code: 'PGF_INTERNAL',
      message: `${errorCodes.PGF_INTERNAL.summary} (request id ${String(request.id)})`,
    });
  });

  app.setNotFoundHandler((request, reply) =>
    send(reply, request, 404, {
      code: 'PGF_ROUTE_NOT_FOUND',
      message: `no route for ${request.method} ${request.url.split('?')[0] ?? ''}; the API lives under /api/v1 (see /docs)`,
    }),
  );
}
