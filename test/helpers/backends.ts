import { adminQuery } from './test-database.js';

export interface Backend {
  pid: number;
  application_name: string;
  query: string;
  wait_event_type: string | null;
}

/** Client backends of `database` other than the caller's, still running a statement (or waiting for a lock). */
export async function activeBackends(database: string): Promise<Backend[]> {
  const result = await adminQuery(
    `SELECT pid, application_name, query, wait_event_type FROM pg_stat_activity
      WHERE datname = $1 AND pid <> pg_backend_pid() AND state = 'active' AND backend_type = 'client backend'`,
    [database],
  );
  return result.rows as Backend[];
}

/**
 * Polls until `check` holds or `limitMs` passed (only a hang guard: the caller asserts on the
 * value returned, its last reading).
 */
export async function pollUntil<T>(read: () => Promise<T>, check: (value: T) => boolean, limitMs = 120_000): Promise<T> {
  const deadline = Date.now() + limitMs;
  let value = await read();
  while (!check(value) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    value = await read();
  }
  return value;
}

/** Ends every other session on `database` (cleanup after a test that may have left work running). */
export async function terminateBackends(database: string): Promise<void> {
  await adminQuery(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, [database]).catch(() => undefined);
}
