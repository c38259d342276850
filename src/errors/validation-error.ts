import { PgferryError } from './pgferry-error.js';

/** One problem with one input field, as the API's 400 answers list them in details.fields. */
export interface FieldProblem {
  field: string;
  /** English text for logs and the CLI; the UI shows its own text for `code`. */
  message: string;
  /** Stable kind of problem (zod's issue codes, or ours such as `taken`, `path_missing`). */
  code?: string;
  /** Values the UI's text for `code` needs, e.g. `minimum`, `maximum`, `origin`. */
  params?: Record<string, string | number>;
}

/** The same 400 shape the API's schema validation answers: details.fields lists each problem. */
export function validationError(fields: FieldProblem[]): PgferryError {
  return new PgferryError(
    'PGF_VALIDATION_FAILED',
    `invalid input: ${fields.map((problem) => `${problem.field}: ${problem.message}`).join('; ')}`,
    { details: { fields } },
  );
}

/** What a zod issue carries that a field problem keeps (zod's issue, or the keyword and params fastify hands over). */
export interface IssueLike {
  code?: string | undefined;
  message: string;
  origin?: unknown;
  minimum?: unknown;
  maximum?: unknown;
  format?: unknown;
  /** A refinement's own code travels as `params: { code }`. */
  params?: unknown;
}

/** A zod issue as a field problem with a stable code, so the UI can say it in the user's language. */
export function fieldProblem(field: string, issue: IssueLike): FieldProblem {
  const ownCode = (issue.params as { code?: unknown } | undefined)?.code;
  const code = issue.code === 'custom' && typeof ownCode === 'string' ? ownCode : issue.code;
  const params: Record<string, string | number> = {};
  for (const key of ['origin', 'minimum', 'maximum', 'format'] as const) {
    const value = issue[key];
    if (typeof value === 'string' || typeof value === 'number') params[key] = value;
    else if (typeof value === 'bigint') params[key] = Number(value);
  }
  return { field, message: issue.message, ...(code ? { code } : {}), ...(Object.keys(params).length > 0 ? { params } : {}) };
}

/** A zod failure as one validation error naming every field. */
export function validationErrorFromIssues(issues: readonly (IssueLike & { path: PropertyKey[] })[], prefix: string[] = []): PgferryError {
  return validationError(issues.map((issue) => fieldProblem([...prefix, ...issue.path.map(String)].join('.'), issue)));
}
