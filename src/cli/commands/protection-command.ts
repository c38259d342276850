import type { Command } from 'commander';

import { type Compression, compressions } from '../../engine/archive/compression.js';
import { formatBytes } from '../../engine/format-bytes.js';
import { PgferryError } from '../../errors/pgferry-error.js';
import type { ProtectionView } from '../../jobs/protection/protection-view.js';
import { allowAnyOutbound } from '../../net/outbound-guard.js';
import { json, list, positiveInt, withLazyStore } from './backup-cli-support.js';
import { thresholdBytes, thresholdSeconds } from './protection-flags.js';

interface EnableFlags {
  storage: string;
  compress?: string;
  encrypt?: boolean;
  lagThreshold?: string;
  retainedThreshold?: string;
  channel?: string[];
  drillCron?: string;
  drillTimezone?: string;
  keepLast?: number;
  keepDaily?: number;
  keepWeekly?: number;
  keepMonthly?: number;
  json?: boolean;
}

function describe(view: ProtectionView): string {
  const lines = [
    `${view.connection_name}: ${view.enabled ? 'protected' : 'protection off'} → storage ${view.storage_name} (slot ${view.slot_name}, ${view.slot_state})`,
    `  streaming: ${view.streaming ? `yes, by ${view.worker_id}` : view.enabled ? 'NO (no worker holds the lease; start `pgferry worker` or `pgferry serve`)' : 'no'}`,
  ];
  const progress = view.progress;
  if (progress) {
    lines.push(`  WAL in storage up to ${progress.uploaded_lsn ?? '?'} (server at ${progress.server_lsn ?? '?'}, timeline ${progress.timeline ?? '?'})`);
    lines.push(`  lag: ${progress.lag_seconds ?? '?'} s, ${formatBytes(progress.lag_bytes ?? 0)}; slot retains ${progress.retained_bytes === null ? '?' : formatBytes(progress.retained_bytes)} (measured ${progress.at})`);
  }
  lines.push(`  thresholds: lag ${view.lag_seconds_alert === null ? 'none' : `${view.lag_seconds_alert} s`}, retained ${view.retained_bytes_alert === null ? 'none' : formatBytes(view.retained_bytes_alert)}`);
  const keep = [['last', view.keep_last], ['daily', view.keep_daily], ['weekly', view.keep_weekly], ['monthly', view.keep_monthly]].filter(([, value]) => value !== null);
  lines.push(`  drill: ${view.drill_cron === null ? 'none scheduled' : `${view.drill_cron} (${view.drill_timezone}), next ${view.drill_next_fire_at ?? '?'}`}; retention after a passed drill: ${keep.length === 0 ? 'none' : keep.map(([name, value]) => `${String(value)} ${String(name)}`).join(', ')}`);
  if (view.last_error) lines.push(`  last error (${view.last_error.at ?? '?'}): ${view.last_error.code}: ${view.last_error.message ?? ''}`);
  return lines.join('\n');
}

export function registerProtectionCommand(program: Command): void {
  const protection = program.command('protection').description('Continuous protection: workers stream a connection\'s WAL into a storage (point-in-time recovery)');

  protection
    .command('enable')
    .description('Turn continuous protection on for a saved connection (or change its settings); a worker streams its WAL through a replication slot')
    .argument('<connection>', 'saved connection name or id (its role needs REPLICATION)')
    .requiredOption('--storage <storage>', 'saved storage name or id; WAL goes under wal/<system id>/ at its root')
    .option('--compress <kind>', 'gzip, zstd or none (default: gzip, or the current setting)')
    .option('--encrypt', "encrypt every WAL file with the storage's encryption secret")
    .option('--lag-threshold <duration>', 'notify when WAL not yet in storage is older than this (60s, 5m, off)')
    .option('--retained-threshold <size>', 'notify when the slot keeps more WAL than this on the source (10GB, off)')
    .option('--channel <id>', 'notification channel id told of threshold crossings (repeatable; replaces the list)', list)
    .option('--drill-cron <expr>', 'run a physical drill on the newest base backup on this cron schedule ("off": none)')
    .option('--drill-timezone <tz>', 'time zone of --drill-cron (default: UTC)')
    .option('--keep-last <n>', 'after a drill that passed: keep the newest N base backups (and the WAL from the oldest kept one)', positiveInt('--keep-last'))
    .option('--keep-daily <n>', 'after a drill that passed: keep the newest base backup of N days', positiveInt('--keep-daily'))
    .option('--keep-weekly <n>', 'after a drill that passed: keep the newest base backup of N weeks', positiveInt('--keep-weekly'))
    .option('--keep-monthly <n>', 'after a drill that passed: keep the newest base backup of N months', positiveInt('--keep-monthly'))
    .option('--json', 'machine-readable output')
    .action(async (connection: string, flags: EnableFlags) => {
      if (flags.compress !== undefined && !compressions.includes(flags.compress as Compression)) {
        throw new PgferryError('PGF_VALIDATION_FAILED', `--compress: expected gzip, zstd or none, got "${flags.compress}"`);
      }
      const input = {
        storage: flags.storage,
        compression: flags.compress as Compression | undefined,
        encrypt: flags.encrypt,
        lag_seconds_alert: flags.lagThreshold === undefined ? undefined : thresholdSeconds('--lag-threshold', flags.lagThreshold),
        retained_bytes_alert: flags.retainedThreshold === undefined ? undefined : thresholdBytes('--retained-threshold', flags.retainedThreshold),
        channel_ids: flags.channel,
        drill_cron: flags.drillCron === undefined ? undefined : flags.drillCron === 'off' ? null : flags.drillCron,
        drill_timezone: flags.drillTimezone,
        keep_last: flags.keepLast,
        keep_daily: flags.keepDaily,
        keep_weekly: flags.keepWeekly,
        keep_monthly: flags.keepMonthly,
      };
      await withLazyStore(async (lazy) => {
        const { store } = await lazy.get();
        const { enableProtection } = await import('../../jobs/protection/protection-service.js');
        const { auditCliAction } = await import('../../audit/cli-audit.js');
        const view = await enableProtection(store.db, connection, input);
        await auditCliAction(store, { action: 'connection.protection.enable', resourceType: 'connection', resourceId: view.connection_id, input });
        if (flags.json) json(view);
        else console.log(`continuous protection on for "${view.connection_name}" into storage "${view.storage_name}"; a running worker starts streaming within a second\n${describe(view)}`);
      });
    });

  protection
    .command('disable')
    .description("Turn continuous protection off: the stream stops and the connection's replication slot is dropped")
    .argument('<connection>', 'saved connection name or id')
    .option('--json', 'machine-readable output')
    .action(async (connection: string, flags: { json?: boolean }) => {
      await withLazyStore(async (lazy) => {
        const { store, secrets } = await lazy.get();
        const { disableProtection } = await import('../../jobs/protection/protection-service.js');
        const { auditCliAction } = await import('../../audit/cli-audit.js');
        const view = await disableProtection(store.db, secrets, allowAnyOutbound, connection);
        await auditCliAction(store, { action: 'connection.protection.disable', resourceType: 'connection', resourceId: view.connection_id });
        if (flags.json) return json(view);
        console.log(
          view.slot_state === 'dropped'
            ? `continuous protection off for "${view.connection_name}"; replication slot ${view.slot_name} dropped`
            : `continuous protection off for "${view.connection_name}"; the worker streaming it stops and drops replication slot ${view.slot_name} (see \`pgferry protection status ${view.connection_name}\`)`,
        );
      });
    });

  protection
    .command('status')
    .description('Show the protection of one connection, or of every protected connection: streaming worker, lag, retained WAL')
    .argument('[connection]', 'saved connection name or id (default: all)')
    .option('--json', 'machine-readable output')
    .action(async (connection: string | undefined, flags: { json?: boolean }) => {
      await withLazyStore(async (lazy) => {
        const { store } = await lazy.get();
        const { getProtection, listProtectionViews } = await import('../../jobs/protection/protection-service.js');
        const views = connection === undefined ? await listProtectionViews(store.db) : [await getProtection(store.db, connection)];
        if (flags.json) return json(connection === undefined ? { items: views } : views[0]);
        if (views.length === 0) console.log('no connection is under continuous protection; turn it on with `pgferry protection enable CONNECTION --storage STORAGE`');
        for (const view of views) console.log(describe(view));
      });
    });
}
