import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';

import type { InjectOptions, LightMyRequestResponse } from 'fastify';

import { type App, buildApp } from '../../src/api/build-app.js';
import { loadConfig } from '../../src/config/load-config.js';
import type { Config } from '../../src/config/config-schema.js';
import { createLogger } from '../../src/logger.js';
import { keyFromBytes } from '../../src/secrets/encryption-key.js';
import { SecretBox } from '../../src/secrets/secret-box.js';
import { trackResource } from './leak-check.js';
import { createTestStore } from './test-database.js';

export type TestRole = 'admin' | 'operator' | 'viewer' | 'anonymous';

export interface TestApp {
  app: App;
  store: Awaited<ReturnType<typeof createTestStore>>;
  secrets: SecretBox;
  config: Config;
  /** Every log line the app wrote (JSON text), for asserting that secrets never appear. */
  logs: string[];
  /** `as` picks the caller's role (default admin) once authentication exists. */
  request(options: InjectOptions & { as?: TestRole }): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

/** A real app on a fresh migrated store, with captured logs. Close it in afterAll. */
export async function createTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  const store = await createTestStore();
  const config = loadConfig({ env: { DATABASE_URL: store.url, LOG_LEVEL: 'debug', ...env }, cwd: '/nonexistent' });
  const logs: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      logs.push(chunk.toString());
      callback();
    },
  });
  const logger = createLogger({ level: 'debug', destination, pretty: false });
  const secrets = new SecretBox(keyFromBytes(randomBytes(32)));
  const app = await buildApp({ config, store, logger, secrets });
  const release = trackResource('test app', async () => {
    await app.close();
    await store.close();
  });
  return {
    app,
    store,
    secrets,
    config,
    logs,
    request: ({ as: _as, ...options }) => app.inject(options),
    close: async () => {
      release();
      await app.close();
      await store.close();
    },
  };
}
