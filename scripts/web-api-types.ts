import openapiTS, { astToString } from 'openapi-typescript';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { Writable } from 'node:stream';
import { randomBytes } from 'node:crypto';

import { buildApp } from '../src/api/build-app.js';
import { loadConfig } from '../src/config/load-config.js';
import { createLogger } from '../src/logger.js';
import { keyFromBytes } from '../src/secrets/encryption-key.js';
import { SecretBox } from '../src/secrets/secret-box.js';
import type { StoreDatabase } from '../src/store/store-types.js';

const header = `// Generated from /api/v1/openapi.json by \`npm run web:api-types\`; do not edit.
// The web UI's request and answer types come from here, so they follow the server's schemas.
`;

/** The OpenAPI document of the API, without a store: building the routes needs no database. */
export async function openApiDocument(): Promise<Record<string, unknown>> {
  // A pool that is never used: no query runs while the routes are registered.
  const db = new Kysely<StoreDatabase>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: 'postgres://127.0.0.1:1/unused', max: 1 }) }) });
  const config = loadConfig({ env: { DATABASE_URL: 'postgres://127.0.0.1:1/unused', PGFERRY_ENCRYPTION_KEY: '00'.repeat(32) }, cwd: '/nonexistent' });
  const logger = createLogger({ level: 'silent', destination: new Writable({ write: (_chunk, _encoding, done) => done() }), pretty: false });
  const app = await buildApp({ config, store: { db }, logger, secrets: new SecretBox(keyFromBytes(randomBytes(32))) });
  try {
    await app.ready();
    return app.swagger() as unknown as Record<string, unknown>;
  } finally {
    await app.close();
    await db.destroy();
  }
}

/** The TypeScript the web UI imports (web/src/api/openapi.gen.ts). */
export async function renderWebApiTypes(): Promise<string> {
  const ast = await openapiTS((await openApiDocument()) as unknown as Parameters<typeof openapiTS>[0], { exportType: false });
  return `${header}\n${astToString(ast)}`;
}
