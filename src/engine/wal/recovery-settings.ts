import { appendFile, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { PgferryError } from '../../errors/pgferry-error.js';
import { quoteLiteral } from '../sql/quote-ident.js';
import { formatLsn, parseLsn } from './lsn.js';

export type RecoveryTarget = { time: string | Date } | { lsn: string } | { name: string } | 'latest';

export interface RecoverySettings {
  target: RecoveryTarget;
  /** Shell command PostgreSQL runs for each WAL file it needs (`%f`, `%p`), e.g. from restoreCommandFor. */
  restoreCommand: string;
  /** What the server does at the target: open read-write on a new timeline, or stay paused in recovery (default: promote). */
  action?: 'promote' | 'pause' | undefined;
}

/**
 * The server reads recovery_target_time before it knows time zone abbreviations, so `Z` is
 * written as `+00`; a string keeps its digits (microseconds from clock_timestamp() matter).
 */
function targetTime(value: string | Date): string {
  const text = value instanceof Date ? value.toISOString() : value.trim();
  const match = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?)\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i.exec(text);
  if (!match) {
    throw new PgferryError('PGF_VALIDATION_FAILED', `recovery target time "${text}" is not a date and time; write e.g. 2026-12-04 09:30:00+00 (an offset, not a zone abbreviation)`);
  }
  const zone = match[3] === undefined ? '' : match[3].toUpperCase() === 'Z' ? '+00' : match[3];
  return `${match[1]} ${match[2]}${zone}`;
}

/** The postgresql.conf lines of a recovery (PostgreSQL 12+ style: settings + recovery.signal). */
export function recoveryLines(settings: RecoverySettings): string[] {
  const lines = [`restore_command = ${quoteLiteral(settings.restoreCommand)}`, `recovery_target_timeline = 'latest'`];
  const { target } = settings;
  if (target !== 'latest') {
    if ('time' in target) {
      lines.push(`recovery_target_time = ${quoteLiteral(targetTime(target.time))}`);
    } else if ('lsn' in target) {
      lines.push(`recovery_target_lsn = ${quoteLiteral(formatLsn(parseLsn(target.lsn)))}`);
    } else {
      if (target.name.length === 0 || target.name.length > 63) throw new PgferryError('PGF_VALIDATION_FAILED', 'a recovery target name (pg_create_restore_point) has 1–63 characters');
      lines.push(`recovery_target_name = ${quoteLiteral(target.name)}`);
    }
    lines.push(`recovery_target_action = ${quoteLiteral(settings.action ?? 'promote')}`);
  }
  // A restored copy must not archive into the source's WAL: its new timeline would mix with the source's.
  lines.push(`archive_mode = 'off'`);
  return lines;
}

/**
 * Makes `dataDir` (a restored base backup) recover to `target` when started: the settings go
 * into postgresql.auto.conf (read last, so they win) and recovery.signal asks for archive
 * recovery. PostgreSQL 13–18.
 */
export async function writeRecoverySettings(dataDir: string, settings: RecoverySettings): Promise<void> {
  const lines = recoveryLines(settings);
  await assertTargetAfterBackup(dataDir, settings.target);
  await appendFile(path.join(dataDir, 'postgresql.auto.conf'), `\n# recovery settings written by pgferry restore\n${lines.join('\n')}\n`);
  await writeFile(path.join(dataDir, 'recovery.signal'), '');
}

/**
 * The restore_command line that runs `pgferry wal fetch %f %p` through `cli` (node and the
 * script, so the server runs this very pgferry) from `storage`, each word shell-quoted.
 */
export function walFetchCommand(cli: readonly string[], storage: string, extra: { systemId?: string | undefined; encryptionKeyEnv?: string | undefined } = {}): string {
  const words = [...cli, 'wal', 'fetch', '%f', '%p', '--storage', storage];
  if (extra.systemId !== undefined) words.push('--system-id', extra.systemId);
  if (extra.encryptionKeyEnv) words.push('--encryption-key-env', extra.encryptionKeyEnv);
  return words.map((word) => (word === '%f' || word === '%p' ? word : shellWord(word))).join(' ');
}

/** One shell word (PostgreSQL runs restore_command through /bin/sh). */
export function shellWord(value: string): string {
  if (/^[A-Za-z0-9_./:=@%+-]+$/.test(value)) return value;
  if (/['\\]/.test(value)) throw new PgferryError('PGF_VALIDATION_FAILED', `"${value}" holds a quote or backslash, which cannot go into restore_command; use a path or name without them`);
  return `'${value}'`;
}

/** `2026-12-04 09:30:10 UTC` / `… +00` as a Date; undefined for zones JavaScript cannot read. */
function labelTime(text: string): Date | undefined {
  const match = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})(\.\d+)? ?(UTC|GMT|Z|[+-]\d{2}(?::?\d{2})?)$/.exec(text.trim());
  if (!match) return undefined;
  const zone = /^(UTC|GMT|Z)$/.test(match[4] ?? '') ? 'Z' : (match[4] ?? '').replace(/^([+-]\d{2})$/, '$1:00');
  const date = new Date(`${match[1]}T${match[2]}${(match[3] ?? '').slice(0, 4)}${zone}`);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/**
 * A target before the backup started cannot be reached from it, yet the server would not
 * say so when no commit lies between: it would open at the end of the backup. Refused here
 * with the backup's own start (backup_label).
 */
async function assertTargetAfterBackup(dataDir: string, target: RecoveryTarget): Promise<void> {
  if (target === 'latest' || 'name' in target) return;
  const label = await readFile(path.join(dataDir, 'backup_label'), 'utf8').catch(() => undefined);
  if (label === undefined) return;
  const startLsn = /^START WAL LOCATION: ([0-9A-F]+\/[0-9A-F]+)/m.exec(label)?.[1];
  const startTime = /^START TIME: (.+)$/m.exec(label)?.[1];
  const outside = (what: string, start: string) =>
    new PgferryError('PGF_RECOVERY_FAILED', `the recovery target ${what} lies before the base backup in ${dataDir} started (${start}), outside its restorable window; restore an older base backup, or pick a later target`, {
      details: { dataDir },
    });
  if ('lsn' in target && startLsn !== undefined && parseLsn(target.lsn) < parseLsn(startLsn)) throw outside(`WAL position ${target.lsn}`, startLsn);
  if ('time' in target && startTime !== undefined) {
    const start = labelTime(startTime);
    const wanted = labelTime(targetTime(target.time).replace(/(\.\d+)?([+-]\d{2}(?::?\d{2})?)?$/, (_all, fraction: string | undefined, zone: string | undefined) => `${fraction ?? ''} ${zone ?? 'UTC'}`));
    if (start && wanted && wanted < start) throw outside(`time ${String(target.time)}`, startTime);
  }
}
