import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import { renderWebApiTypes } from '../../scripts/web-api-types.js';

// The web UI's API types are generated from the server's OpenAPI document (issue 14): a route
// or schema change without regenerating them fails here, not in a user's browser.
describe('web API types', () => {
  it('match the OpenAPI document (run `npm run web:api-types` after changing a route)', async () => {
    const committed = readFileSync(new URL('../../web/src/api/openapi.gen.ts', import.meta.url), 'utf8');
    expect(committed === (await renderWebApiTypes()), 'web/src/api/openapi.gen.ts is stale: run `npm run web:api-types`').toBe(true);
  });
});
