import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { cliJson, runCli } from '../helpers/run-cli.js';
import { withClient } from '../wal/wal-fixtures.js';
import { saveProtectedPair, slotExists, useStoreAndCluster } from './protection-fixtures.js';

const world = useStoreAndCluster('protection-cli');

describe('pgferry protection (subprocess)', () => {
  it('enables with thresholds, shows the status, refuses a bad threshold, and disable drops the slot when no worker streams', async () => {
    const { connection } = await saveProtectedPair(world.store.db, world.secrets, world.cluster, path.join(world.home, 'storage'), 'cli');

    const bad = await runCli(['protection', 'enable', connection.name, '--storage', 'wal-cli', '--lag-threshold', 'soon'], world.env);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('--lag-threshold');

    const enabled = cliJson(await runCli(['protection', 'enable', connection.name, '--storage', 'wal-cli', '--lag-threshold', '2m', '--retained-threshold', '10GB', '--compress', 'zstd', '--json'], world.env));
    expect(enabled).toMatchObject({ connection_name: connection.name, enabled: true, lag_seconds_alert: 120, retained_bytes_alert: 10 * 1024 ** 3, compression: 'zstd', streaming: false });

    const drilled = cliJson(await runCli(['protection', 'enable', connection.name, '--storage', 'wal-cli', '--drill-cron', '30 2 * * 0', '--drill-timezone', 'Europe/Berlin', '--keep-last', '3', '--keep-weekly', '4', '--json'], world.env));
    expect(drilled).toMatchObject({ drill_cron: '30 2 * * 0', drill_timezone: 'Europe/Berlin', keep_last: 3, keep_weekly: 4, keep_daily: null, lag_seconds_alert: 120, compression: 'zstd' });
    expect(drilled.drill_next_fire_at).not.toBeNull();
    const badCron = await runCli(['protection', 'enable', connection.name, '--storage', 'wal-cli', '--drill-cron', 'nightly'], world.env);
    expect(badCron.code).not.toBe(0);

    const human = await runCli(['protection', 'status', connection.name], world.env);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toContain('streaming: NO');
    expect(human.stdout).toContain('drill: 30 2 * * 0 (Europe/Berlin)');
    expect(human.stdout).toContain('3 last, 4 weekly');
    const all = cliJson(await runCli(['protection', 'status', '--json'], world.env));
    expect(all.items.map((item: { connection_name: string }) => item.connection_name)).toEqual([connection.name]);

    // In use: neither the connection nor the storage can be removed while the protection holds a slot.
    for (const args of [['connections', 'rm', connection.name], ['storage', 'rm', 'wal-cli']]) {
      const refused = await runCli(args, world.env);
      expect(refused.code, args.join(' ')).not.toBe(0);
      expect(refused.stderr).toContain('continuous protection');
    }

    // The slot a worker would have created; nobody streams, so disable drops it itself.
    await withClient(world.cluster.url(), (client) => client.query('SELECT pg_create_physical_replication_slot($1, true)', [enabled.slot_name]));
    const disabled = cliJson(await runCli(['protection', 'disable', connection.name, '--json'], world.env));
    expect(disabled).toMatchObject({ enabled: false, slot_state: 'dropped' });
    expect(await slotExists(world.cluster, enabled.slot_name)).toBe(false);

    const again = await runCli(['protection', 'disable', connection.name], world.env);
    expect(again.code, again.stderr).toBe(0);
    expect((await runCli(['storage', 'rm', 'wal-cli'], world.env)).code).toBe(0);
    expect((await runCli(['connections', 'rm', connection.name], world.env)).code).toBe(0);
    const audit = await world.store.db.selectFrom('audit_log').select(['action']).where('resource_id', '=', connection.id).execute();
    expect(audit.map((row) => row.action)).toEqual(expect.arrayContaining(['connection.protection.enable', 'connection.protection.disable']));
  });
});
