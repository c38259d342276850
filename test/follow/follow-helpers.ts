import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';

import type { FollowProgress } from '../../src/engine/follow/follow-api.js';
import { trackResource } from '../helpers/leak-check.js';
import { type TestCluster, startCluster } from '../helpers/pg-cluster.js';

/** Runs SQL with a short-lived client. */
export async function sql<T extends pg.QueryResultRow = Record<string, unknown>>(url: string, text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  const release = trackResource(`client on ${url}`, () => client.end());
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    release();
    await client.end();
  }
}

/** Polls `check` until it returns a value other than undefined (generous limit: a busy machine is slow, not broken). */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined> | T | undefined, limitMs = 60_000): Promise<T> {
  const started = Date.now();
  while (true) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() - started > limitMs) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * A steady mixed workload on the source until stopped: inserts, updates (some of the big
 * TOASTed column, most not), deletes, across the given statements. Returns counters.
 */
export function startWorkload(url: string, step: (client: pg.Client, i: number) => Promise<void>): { stop: () => Promise<number> } {
  const client = new pg.Client({ connectionString: url });
  const release = trackResource(`workload on ${url}`, () => client.end());
  let running = true;
  let count = 0;
  const done = (async () => {
    await client.connect();
    while (running) {
      await step(client, count);
      count++;
      // Steady, not flat-out: a few hundred transactions per second at most.
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await done;
      release();
      await client.end();
      return count;
    },
  };
}

/** Keeps the latest progress and lets a test wait for a phase. */
export function progressProbe(): { onProgress: (p: FollowProgress) => void; latest: () => FollowProgress | undefined; phases: Set<string> } {
  let last: FollowProgress | undefined;
  const phases = new Set<string>();
  return {
    onProgress: (p) => {
      last = p;
      phases.add(p.phase);
    },
    latest: () => last,
    phases,
  };
}

/** A PostgreSQL 17 cluster with wal_level=logical for the file's tests, started before them and stopped after. */
export function useLogicalCluster(): () => TestCluster {
  let cluster: TestCluster | undefined;
  beforeAll(async () => {
    cluster = await startCluster({ major: 17, settings: { wal_level: 'logical' } });
  }, 120_000);
  afterAll(async () => {
    await cluster?.stop();
  });
  return () => cluster!;
}
