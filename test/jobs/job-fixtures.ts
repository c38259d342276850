import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';

import type { Kysely } from 'kysely';

import { defaultExecutors } from '../../src/jobs/executors/default-executors.js';
import { JobWorker } from '../../src/jobs/job-worker.js';
import type { RunExecutor, RunResult } from '../../src/jobs/run-executor.js';
import { createLogger } from '../../src/logger.js';
import { keyFromBytes } from '../../src/secrets/encryption-key.js';
import { SecretBox } from '../../src/secrets/secret-box.js';
import type { StoreDatabase } from '../../src/store/store-types.js';
import type { DatabasePair } from '../engine/sync/sync-test-helpers.js';
import { serverUrl } from '../helpers/test-database.js';

export const quietLogger = () =>
  createLogger({ level: 'warn', pretty: false, destination: new Writable({ write: (_chunk, _encoding, callback) => callback() }) });

export const testSecrets = () => new SecretBox(keyFromBytes(randomBytes(32)));

/** Two connection rows (no live server needed for scheduling tests). */
export async function insertConnections(db: Kysely<StoreDatabase>, prefix = 'c'): Promise<{ source: string; destination: string }> {
  const tag = randomBytes(3).toString('hex');
  const rows = await db
    .insertInto('connections')
    .values([
      { name: `${prefix}-source-${tag}`, host: '127.0.0.1', database: 'src', username: 'postgres' },
      { name: `${prefix}-dest-${tag}`, host: '127.0.0.1', database: 'dst', username: 'postgres' },
    ])
    .returning('id')
    .execute();
  return { source: rows[0]!.id, destination: rows[1]!.id };
}

/** Waits until `check` returns a value, polling the store; fails after `timeoutMs`. */
export async function waitFor<T>(check: () => Promise<T | undefined | null | false>, timeoutMs = 600_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A stand-in engine: works for `ms` (or params.ms), reports one table, honours the signal. */
export function sleepExecutor(defaultMs = 100, behaviour: { failTimes?: number } = {}): RunExecutor & { calls: string[] } {
  const calls: string[] = [];
  let failures = 0;
  const executor = async (run: Parameters<RunExecutor>[0], context: Parameters<RunExecutor>[1]): Promise<RunResult> => {
    calls.push(run.id);
    const ms = Number((run.params as { ms?: number }).ms ?? defaultMs);
    context.log('info', `sleeping ${ms} ms`, { table: 'public.t' });
    context.progress({ tables: [{ table: 'public.t', status: 'running', rows: 1, bytes: 10 }], totalRows: 1, totalBytes: 10 });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, ms);
      context.signal.addEventListener('abort', () => {
        clearTimeout(timer);
        reject(new Error('aborted'));
      });
    });
    if (behaviour.failTimes !== undefined && failures < behaviour.failTimes) {
      failures += 1;
      throw new Error(`planned failure ${failures}`);
    }
    return { status: 'succeeded', tables: [{ table: 'public.t', status: 'succeeded', rows: 2, bytes: 20 }], totalRows: 2, totalBytes: 20 };
  };
  return Object.assign(executor, { calls });
}

/** A started worker with the real executors on a test app's store (polls every 100 ms); stop it when done. */
export function startRealWorker(t: { store: { db: Kysely<StoreDatabase> }; secrets: SecretBox }): JobWorker {
  const worker = new JobWorker({ db: t.store.db, secrets: t.secrets, logger: quietLogger(), executors: defaultExecutors, pollIntervalMs: 100, heartbeatIntervalMs: 500 });
  worker.start();
  return worker;
}

/** Saves `pair`'s two databases as connections `<prefix>-source` and `<prefix>-destination` through the API; returns their ids. */
export async function saveConnectionsOverApi(
  call: (method: string, url: string, body?: unknown) => Promise<{ status: number; json: unknown }>,
  pair: DatabasePair,
  prefix: string,
): Promise<{ source: string; destination: string }> {
  const server = new URL(serverUrl());
  const ids = { source: '', destination: '' };
  for (const [side, database] of [['source', pair.source.name], ['destination', pair.destination.name]] as const) {
    const created = await call('POST', '/api/v1/connections', { name: `${prefix}-${side}`, host: server.hostname, port: Number(server.port || 5432), database, user: decodeURIComponent(server.username) });
    if (created.status !== 201) throw new Error(`saving connection ${prefix}-${side}: ${created.status} ${JSON.stringify(created.json)}`);
    ids[side] = (created.json as { id: string }).id;
  }
  return ids;
}
