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

/** A zod failure as one validation error naming every field. */
export function validationErrorFromIssues(issues: readonly { path: PropertyKey[]; message: string }[]): PgferryError {
  return validationError(issues.map((issue) => ({ field: issue.path.map(String).join('.'), message: issue.message })));
}
