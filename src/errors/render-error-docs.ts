import { errorCodes } from './error-codes.js';

/** docs/errors.md, generated from the registry so that every code is documented. */
export function renderErrorDocs(): string {
  const rows = Object.entries(errorCodes)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([code, entry]) => `| \`${code}\` | ${entry.status} | ${entry.exit} | ${entry.summary} |`);
  return [
    '# Error codes',
    '',
    'Every error pgferry reports carries one of these stable codes: in the API body',
    '`{error: {code, message, details}, requestId}` with the HTTP status below, and on the CLI',
    'as `pgferry: <message> [CODE]` on stderr with the exit code below.',
    '',
    'Generated from `src/errors/error-codes.ts` by `npm run docs:errors`; do not edit by hand.',
    '',
    '| code | HTTP | exit | meaning |',
    '|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}
