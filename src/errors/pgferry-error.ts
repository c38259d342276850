import { type ErrorCode, errorCodes } from './error-codes.js';

export interface PgferryErrorOptions {
  /** Machine-readable specifics (field names, object names); never secrets. */
  details?: Record<string, unknown>;
  cause?: unknown;
}

/** The one error class users see: a stable code, a message that names the object and the fix. */
export class PgferryError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: PgferryErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PgferryError';
    this.code = code;
    this.details = options.details;
  }

  get status(): number {
    return errorCodes[this.code].status;
  }

  get exitCode(): number {
    return errorCodes[this.code].exit;
  }
}

export function isPgferryError(error: unknown): error is PgferryError {
  return error instanceof PgferryError;
}
