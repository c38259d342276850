import { PgferryError } from './pgferry-error.js';

/** One problem with one input field, as the API's 400 answers list them in details.fields. */
export interface FieldProblem {
  field: string;
  message: string;
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
