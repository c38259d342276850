import { createHash } from 'node:crypto';

import type { Command } from 'commander';
import type pg from 'pg';

import { describeTarget } from '../../engine/connection-config.js';
import type { FollowProgress } from '../../engine/follow/follow-api.js';
import { formatBytes } from '../../engine/format-bytes.js';
import { splitList } from '../../engine/sync/select-tables.js';
import { PgferryError } from '../../errors/pgferry-error.js';
import { resolveTargets } from './sync-command.js';

/**
 * The follow id of `sync --follow` and `cutover` without `--follow-id`: the same two
 * databases and the same selection always give the same id (so a restart resumes), anything
 * else another one.
 */
export function deriveFollowId(source: pg.ClientConfig, destination: pg.ClientConfig, selection: { schemas?: string[] | undefined; tables?: string[] | undefined; exclude?: string[] | undefined }): string {
  const identity = JSON.stringify([describeTarget(source), describeTarget(destination), selection.schemas ?? [], selection.tables ?? [], selection.exclude ?? []]);
  return `cli-${createHash('sha256').update(identity).digest('hex').slice(0, 16)}`;
}

/** `90s`, `5m`, `1h` or plain milliseconds. */
export function parseDurationMs(value: string, flag: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value.trim());
  if (!match) throw new PgferryError('PGF_VALIDATION_FAILED', `${flag} expects a duration such as 90s, 5m or 1h; got "${value}"`);
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  return Math.round(Number(match[1]) * (units[match[2] ?? 'ms'] ?? 1));
}

/** One line of progress for a terminal or a log. */
export function progressLine(p: FollowProgress): string {
  const lag = p.lagBytes === null ? 'lag ?' : `lag ${formatBytes(p.lagBytes)} / ${(p.lagSeconds ?? 0).toFixed(1)} s`;
  const retained = p.retainedBytes === null ? '' : `, slot retains ${formatBytes(p.retainedBytes)}`;
  return `${p.phase}: applied ${p.appliedLsn ?? '-'} (source ${p.sourceLsn ?? '-'}), ${lag}, ${p.changesApplied} changes in ${p.transactionsApplied} transactions (${p.changesPerSecond}/s)${retained}`;
}

/** The flags `withFollowTargetOptions` adds. */
export interface FollowTargetFlags {
  from?: string;
  to?: string;
  followId?: string;
  schemas?: string;
  tables?: string;
  exclude?: string;
}

/** The options that name a follow started with `sync --follow` (for cutover and replication drop). */
export function withFollowTargetOptions(command: Command): Command {
  return command
    .option('--from <url|name>', 'source database (a follow started with sync --follow)')
    .option('--to <url|name>', 'destination database (a follow started with sync --follow)')
    .option('--follow-id <id>', 'the follow (default: derived from the databases and the selection, as sync --follow does)')
    .option('--schemas <list>', 'the selection given to sync --follow')
    .option('--tables <globs>', 'the selection given to sync --follow')
    .option('--exclude <globs>', 'the selection given to sync --follow');
}

/**
 * The follow a `sync --follow` started, named by --from/--to and its selection (or --follow-id);
 * `command` is how the caller is written in the message when --from or --to is missing.
 */
export async function resolveCliFollow(flags: FollowTargetFlags, command: string): Promise<{ source: pg.ClientConfig; destination: pg.ClientConfig; selection: { schemas?: string[] | undefined; tables?: string[] | undefined; exclude?: string[] | undefined }; followId: string }> {
  if (!flags.from || !flags.to) throw new PgferryError('PGF_VALIDATION_FAILED', `${command}: name a saved continuous-sync job (pgferry ${command} JOB) or give --from and --to of a follow started with sync --follow`);
  const [source, destination] = await resolveTargets([flags.from, flags.to]);
  const selection = { schemas: splitList(flags.schemas), tables: splitList(flags.tables), exclude: splitList(flags.exclude) };
  return { source: source!.config, destination: destination!.config, selection, followId: flags.followId ?? deriveFollowId(source!.config, destination!.config, selection) };
}
