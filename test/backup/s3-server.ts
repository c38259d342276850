import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';

import { trackResource } from '../helpers/leak-check.js';

interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}

/** s3rver on 127.0.0.1 with a throw-away directory; credentials S3RVER/S3RVER. */
export async function startS3Server(): Promise<{ endpoint: string; port: number; close: () => Promise<void> }> {
  const require = createRequire(import.meta.url);
  const S3rver = require('s3rver') as new (options: Record<string, unknown>) => S3rverInstance;
  const directory = await mkdtemp(path.join(os.tmpdir(), 'pgferry-s3rver-'));
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory });
  const { port } = await server.run();
  const stop = async () => {
    await server.close();
    await rm(directory, { recursive: true, force: true });
  };
  const release = trackResource('s3rver', stop);
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    close: async () => {
      release();
      await stop();
    },
  };
}
