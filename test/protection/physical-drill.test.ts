import { chmod, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { connectionConfigFromUrl } from '../../src/engine/connection-config.js';
import { LocalStorage } from '../../src/engine/storage/local-storage.js';
import { type WalStreamEvent, streamWal } from '../../src/engine/wal/wal-streamer.js';
import { createStorage } from '../../src/jobs/storage-service.js';
import { cliJson, runCli } from '../helpers/run-cli.js';
import { eventWaiter, withClient } from '../wal/wal-fixtures.js';
import { useStoreAndCluster } from './protection-fixtures.js';

const world = useStoreAndCluster('physical-drill');

describe('physical drill', () => {
  it('records a restore point with table checksums, recovers the base backup to it from streamed WAL, starts it and finds the same checksums', async () => {
    const storagePath = path.join(world.home, 'storage');
    await createStorage(world.store.db, world.secrets, { name: 'wal-drill', kind: 'local', config: { path: storagePath } }, { create: true });
    // restore_command runs as the server's user (postgres, when the tests run as root): it reads the storage.
    await chmod(storagePath, 0o755);
    const controller = new AbortController();
    const events: WalStreamEvent[] = [];
    const streaming = streamWal({ source: connectionConfigFromUrl(world.cluster.url()), storage: new LocalStorage(storagePath), slot: 'pgferry_wal_drill', spoolDir: path.join(world.home, 'spool'), signal: controller.signal, onEvent: (event) => events.push(event) });
    streaming.catch(() => undefined);
    try {
      await eventWaiter(events)((event) => event.type === 'stream:start');
      await withClient(world.cluster.url(), (client) => client.query('CREATE TABLE items (id int primary key, payload text); INSERT INTO items SELECT g, md5(g::text) FROM generate_series(1, 5000) g'));
      const made = await runCli(['backup', '--from', world.cluster.url(), '--to', storagePath, '--format', 'physical', '--name', 'base1', '--json'], world.env);
      expect(made.code, made.stderr).toBe(0);
      // Written after the base backup: only the WAL brings them back.
      await withClient(world.cluster.url(), (client) => client.query("INSERT INTO items SELECT g, 'after' FROM generate_series(5001, 7000) g; UPDATE items SET payload = 'changed' WHERE id <= 100; CREATE TABLE later (x int); INSERT INTO later VALUES (1), (2)"));

      const drill = await runCli(['drill', 'wal-drill:base1', '--physical-from', world.cluster.url(), '--json'], world.env);
      expect(drill.code, drill.stderr).toBe(0);
      const result = cliJson(drill);
      expect(result.ok).toBe(true);
      const items = result.tables.find((table: { table: string }) => table.table === 'public.items');
      expect(items).toMatchObject({ rows: 7000, restoredRows: 7000, ok: true });
      expect(result.tables.find((table: { table: string }) => table.table === 'public.later')).toMatchObject({ rows: 2, ok: true });
      const recorded = await readdir(path.join(storagePath, 'drills', 'base1'));
      expect(recorded).toEqual([`${result.restorePoint}.json`]);
      expect(JSON.parse(await readFile(path.join(storagePath, 'drills', 'base1', recorded[0]!), 'utf8'))).toMatchObject({ ok: true, backup: 'base1' });

      const both = await runCli(['drill', 'wal-drill:base1', '--physical-from', world.cluster.url(), '--on', world.cluster.url()], world.env);
      expect(both.code).not.toBe(0);
    } finally {
      controller.abort();
      await streaming.catch(() => undefined);
    }
  });
});
