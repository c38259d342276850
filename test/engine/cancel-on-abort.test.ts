import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';

import { cancelBackend, cancelOnAbort } from '../../src/engine/sql/cancel-on-abort.js';
import { serverUrl } from '../helpers/test-database.js';

describe('cancelOnAbort', () => {
  const opened: pg.Client[] = [];
  const connect = async () => {
    const client = new pg.Client({ connectionString: serverUrl() });
    client.on('error', () => undefined);
    await client.connect();
    opened.push(client);
    return client;
  };
  afterEach(async () => {
    for (const client of opened.splice(0)) await client.end().catch(() => undefined);
  });

  it('cancels the statement a watched session is running when the signal fires', async () => {
    const client = await connect();
    const controller = new AbortController();
    const canceller = cancelOnAbort(controller.signal);
    canceller.watch(client, { connectionString: serverUrl() });
    const running = client.query('SELECT pg_sleep(600)').then(
      () => 'finished',
      (error: { code?: string }) => error.code,
    );
    // The statement is on the server before the abort.
    const pid = (client as unknown as { processID: number }).processID;
    for (let attempt = 0; attempt < 600; attempt += 1) {
      const probe = await connect();
      const state = (await probe.query<{ state: string }>('SELECT state FROM pg_stat_activity WHERE pid = $1', [pid])).rows[0]?.state;
      await probe.end();
      if (state === 'active') break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    controller.abort(new Error('stop'));
    await canceller.close();
    expect(await running).toBe('57014');
    // The session itself stays usable: its owner decides when to end it.
    expect((await client.query<{ one: number }>('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
  });

  it('leaves an idle session alone, so its next statement is not cancelled by a late request', async () => {
    const client = await connect();
    const controller = new AbortController();
    const canceller = cancelOnAbort(controller.signal);
    canceller.watch(client, { connectionString: serverUrl() });
    controller.abort(new Error('stop'));
    const after = await client.query<{ done: boolean }>('SELECT pg_sleep(0.3) IS NOT NULL AS done');
    await canceller.close();
    expect(after.rows).toEqual([{ done: true }]);
  });

  it('does not cancel a forgotten session, and no session without a signal', async () => {
    const client = await connect();
    const controller = new AbortController();
    const canceller = cancelOnAbort(controller.signal);
    canceller.watch(client, { connectionString: serverUrl() });
    canceller.forget(client);
    const running = client.query<{ done: boolean }>('SELECT pg_sleep(0.3) IS NOT NULL AS done');
    controller.abort(new Error('stop'));
    await canceller.close();
    expect((await running).rows).toEqual([{ done: true }]);
    const none = cancelOnAbort(undefined);
    expect(none.watch(client, { connectionString: serverUrl() })).toBe(client);
    await none.close();
  });

  it('cancelBackend answers false for a pid that is not a backend of this role and database', async () => {
    expect(await cancelBackend({ connectionString: serverUrl() }, 1)).toBe(false);
    // An unreachable server: no throw, just false.
    expect(await cancelBackend({ host: '127.0.0.1', port: 1, user: 'nobody', database: 'none', connectionTimeoutMillis: 2000 }, 12345)).toBe(false);
  });
});
