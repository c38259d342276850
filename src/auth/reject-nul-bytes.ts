import type { FastifyInstance } from 'fastify';

import { PgferryError } from '../errors/pgferry-error.js';

const maxDepth = 50;

/** Parsed input only: arrays and plain objects. A raw body (an upload's stream) is never walked. */
const isJsonContainer = (value: object): boolean => {
  if (Array.isArray(value)) return true;
  const prototype = Object.getPrototypeOf(value) as object | null;
  // The query-string parser's objects have a bare prototype of their own (itself prototype-less).
  return prototype === Object.prototype || prototype === null || Object.getPrototypeOf(prototype) === null;
};

/** What makes the value unstorable: a NUL (PostgreSQL text cannot hold U+0000) or nesting too deep to check. */
function problemIn(value: unknown, depth = 0): 'nul' | 'deep' | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? 'nul' : undefined;
  if (value === null || typeof value !== 'object' || !isJsonContainer(value)) return undefined;
  if (depth > maxDepth) return 'deep';
  const entries = Array.isArray(value) ? value.map((item) => ['', item] as const) : Object.entries(value);
  for (const [key, item] of entries) {
    if (key.includes('\u0000')) return 'nul';
    const found = problemIn(item, depth + 1);
    if (found) return found;
  }
  return undefined;
}

/** Finding these early gives a 400 instead of a driver error (500). */
export function rejectNulBytes(app: FastifyInstance): void {
  app.addHook('preValidation', async (request) => {
    const found = problemIn(request.query) ?? problemIn(request.params) ?? problemIn(request.body);
    if (found === 'nul') {
      throw new PgferryError('PGF_VALIDATION_FAILED', 'the request contains a NUL character (\\u0000), which no stored text may hold; remove it');
    }
    if (found === 'deep') {
      throw new PgferryError('PGF_VALIDATION_FAILED', `the request body is nested more than ${maxDepth} levels deep; no pgferry input is`);
    }
  });
}
