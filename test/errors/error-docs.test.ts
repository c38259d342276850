import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import { errorCodes } from '../../src/errors/error-codes.js';
import { renderErrorDocs } from '../../src/errors/render-error-docs.js';

describe('error code registry', () => {
  it('is documented in docs/errors.md (run `npm run docs:errors` after adding a code)', () => {
    expect(readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8')).toBe(renderErrorDocs());
  });

  it('gives every code a client or server status, an exit code and a summary', () => {
    for (const [code, entry] of Object.entries(errorCodes)) {
      expect(code).toMatch(/^PGF_[A-Z0-9_]+$/);
      expect(entry.status).toBeGreaterThanOrEqual(400);
      expect(entry.exit).toBeGreaterThan(0);
      expect(entry.summary.length).toBeGreaterThan(10);
    }
  });
});
