import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { LocalStorage } from '../../src/engine/storage/local-storage.js';
import { listWalFiles } from '../../src/engine/wal/wal-archive.js';
import { pollUntil } from '../helpers/backends.js';
import { startCluster } from '../helpers/pg-cluster.js';
import { cliJson, cliPath, runCli } from '../helpers/run-cli.js';
import { removeDir, scratchDir, withClient } from './wal-fixtures.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('wal push / wal fetch as archive_command and restore_command', () => {
  it('PostgreSQL 13 archives through wal push; a repeat push is a no-op, different contents are refused, a missing file and a wrong key exit non-zero naming them', async () => {
    const home = await scratchDir('pgferry-wal-push-');
    cleanups.push(() => removeDir(home));
    const storageDir = path.join(home, 'storage');
    const cluster = await startCluster({
      major: 13,
      settings: { archive_mode: 'on', archive_command: `${process.execPath} ${cliPath} wal push %p --storage ${storageDir}` },
    });
    cleanups.push(() => cluster.stop());
    const systemId = await withClient(cluster.url(), async (client) => {
      for (let round = 0; round < 3; round += 1) await client.query(`CREATE TABLE t${round} AS SELECT generate_series(1, 1000) AS a; SELECT pg_switch_wal()`);
      return (await client.query<{ id: string }>('SELECT system_identifier::text AS id FROM pg_control_system()')).rows[0]!.id;
    });
    const archiver = await pollUntil(
      () => withClient(cluster.url(), async (client) => (await client.query<{ archived: string; failed: string }>('SELECT archived_count AS archived, failed_count AS failed FROM pg_stat_archiver')).rows[0]!),
      (row) => Number(row.archived) >= 3,
    );
    expect(Number(archiver.archived)).toBeGreaterThanOrEqual(3);
    expect(archiver.failed).toBe('0');
    const storage = new LocalStorage(storageDir);
    const stored = (await listWalFiles(storage, systemId)).map((item) => item.file);
    expect(stored.length).toBeGreaterThanOrEqual(3);
    const first = stored[0]!;

    const fetched = path.join(home, 'fetched', first);
    const fetch = await runCli(['wal', 'fetch', first, fetched, '--storage', storageDir, '--system-id', systemId]);
    expect(fetch.code, fetch.stderr).toBe(0);
    const contents = await readFile(fetched);
    expect(contents.length).toBe(16 * 1024 * 1024);

    const again = await runCli(['wal', 'push', fetched, '--storage', storageDir, '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(cliJson(again)).toEqual({ file: first, systemId, outcome: 'already-stored' });

    contents[100_000] = (contents[100_000]! + 1) % 256;
    await writeFile(fetched, contents);
    const conflict = await runCli(['wal', 'push', fetched, '--storage', storageDir]);
    expect(conflict.code).toBe(5);
    expect(conflict.stderr).toContain(`WAL file ${first} is already in`);

    const missingName = '0000000100000000000000FF';
    const missing = await runCli(['wal', 'fetch', missingName, path.join(home, 'nothing'), '--storage', storageDir, '--system-id', systemId]);
    expect(missing.code).toBe(4);
    expect(missing.stderr).toContain(missingName);

    // Encrypted WAL: the right key reads it back, a wrong one is refused naming the key file.
    const encryptedDir = path.join(home, 'encrypted');
    contents[100_000] = (contents[100_000]! + 255) % 256;
    await writeFile(fetched, contents);
    const pushed = await runCli(['wal', 'push', fetched, '--storage', encryptedDir, '--encrypt', '--compress', 'none'], { PGFERRY_BACKUP_KEY: 'right secret' });
    expect(pushed.code, pushed.stderr).toBe(0);
    const good = await runCli(['wal', 'fetch', first, path.join(home, 'dec', first), '--storage', encryptedDir, '--system-id', systemId], { PGFERRY_BACKUP_KEY: 'right secret' });
    expect(good.code, good.stderr).toBe(0);
    expect((await readFile(path.join(home, 'dec', first))).equals(contents)).toBe(true);
    const wrong = await runCli(['wal', 'fetch', first, path.join(home, 'dec2', first), '--storage', encryptedDir, '--system-id', systemId], { PGFERRY_BACKUP_KEY: 'wrong secret' });
    expect(wrong.code).toBe(11);
    expect(wrong.stderr).toContain(`wal/${systemId}/encryption.json`);
    expect(wrong.stderr).not.toContain('right secret');
  }, 300_000);
});
