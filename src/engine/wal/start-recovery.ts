import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, readFile } from 'node:fs/promises';
import path from 'node:path';

import { PgferryError } from '../../errors/pgferry-error.js';
import { type ServerBinaries, dataDirMajor, findServerBinaries } from './server-binaries.js';

export interface StartRecoveryOptions {
  dataDir: string;
  /** Server binaries; default: installed or embedded ones of the data directory's major. */
  binaries?: ServerBinaries | undefined;
  port: number;
  /** Gives up (and stops the server) after this long (default: 30 min). */
  timeoutMs?: number | undefined;
  signal?: AbortSignal | undefined;
}

export interface RecoveryOutcome {
  /** `promoted`: open read-write on a new timeline; `paused`: still in recovery at the target. */
  state: 'promoted' | 'paused';
  /** The server's own words on where it stopped ("recovery stopping before commit of transaction …"). */
  stoppedAt: string | undefined;
  /** "last completed transaction was at log time …", when the server said it. */
  lastTransaction: string | undefined;
  logFile: string;
  major: number;
}

interface RunResult {
  code: number;
  output: string;
}

/** PostgreSQL refuses to run as root: as root the server runs as the `postgres` user, which must exist. */
function serverUser(): { uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return {};
  const id = (flag: string) => {
    const result = spawnSyncText('id', [flag, 'postgres']);
    return result === undefined ? undefined : Number(result);
  };
  const uid = id('-u');
  const gid = id('-g');
  if (uid === undefined || gid === undefined) {
    throw new PgferryError('PGF_RECOVERY_FAILED', 'running as root, the restored cluster must run as the "postgres" system user, which does not exist; create it (useradd postgres) or run pgferry as a normal user');
  }
  return { uid, gid };
}

function spawnSyncText(command: string, args: string[]): string | undefined {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

function run(command: string, args: string[], owner: { uid?: number; gid?: number }): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...owner, env: { ...process.env, LC_ALL: 'C', LC_MESSAGES: 'C' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

async function chownTree(dir: string, owner: { uid?: number; gid?: number }): Promise<void> {
  if (owner.uid === undefined || owner.gid === undefined) return;
  const result = await run('chown', ['-R', `${owner.uid}:${owner.gid}`, dir], {});
  if (result.code !== 0) throw new PgferryError('PGF_RECOVERY_FAILED', `cannot hand ${dir} to the postgres user: ${result.output.trim()}`);
}

/** The last WAL file restore_command reported missing before recovery gave up (wal fetch names it). */
function lastMissingFile(log: string): string | undefined {
  const matches = [...log.matchAll(/WAL file ([0-9A-F]{24}) of system \d+ is not in/g)];
  return matches.at(-1)?.[1];
}

/** Reads the server log until recovery reached its target, failed, or the time ran out. */
function judge(log: string): { done: RecoveryOutcome['state'] } | { failed: string } | undefined {
  if (/requested recovery stop point is before consistent recovery point/.test(log)) {
    return { failed: 'the target lies before the end of the base backup (outside the restorable window): pick a later target or an older base backup' };
  }
  if (/recovery ended before configured recovery target was reached/.test(log)) {
    const missing = lastMissingFile(log);
    return {
      failed: `the WAL in storage ends before the target (outside the restorable window)${missing ? `: segment ${missing} is missing` : ''}; see \`pgferry backups timeline\` for the window`,
    };
  }
  const fatal = /(?:FATAL|PANIC):\s+(.*)/.exec(log);
  if (fatal) {
    const missing = lastMissingFile(log);
    // The lines before a FATAL usually say why (a bad setting, a missing file).
    const before = log.slice(0, fatal.index).trim().split('\n').slice(-3).join(' | ');
    return { failed: `${fatal[1] ?? 'the server stopped'}${missing ? ` (segment ${missing} is missing from storage)` : ''} — ${before}` };
  }
  if (/pausing at the end of recovery|recovery has paused/.test(log)) return { done: 'paused' };
  if (/selected new timeline ID|archive recovery complete/.test(log) && /database system is ready to accept connections/.test(log.slice(log.search(/selected new timeline ID|archive recovery complete/)))) {
    return { done: 'promoted' };
  }
  return undefined;
}

/**
 * Starts a restored data directory (recovery settings already written) and waits, reading the
 * server log, until recovery reached its target. A target outside the restorable window or a
 * missing segment becomes PGF_RECOVERY_FAILED naming the cause; the server is then stopped.
 */
export async function startAndAwaitRecovery(options: StartRecoveryOptions): Promise<RecoveryOutcome> {
  const major = await dataDirMajor(options.dataDir);
  const binaries = await findServerBinaries(major, options.binaries);
  const owner = serverUser();
  await chmod(options.dataDir, 0o700);
  await chownTree(options.dataDir, owner);
  const logFile = path.join(options.dataDir, 'log', 'pgferry-recovery.log');
  await run('mkdir', ['-p', path.dirname(logFile)], owner);
  const started = await run(binaries.pg_ctl, ['start', '-D', options.dataDir, '-W', '-l', logFile, '-o', `-p ${options.port} -c lc_messages=C`], owner);
  if (started.code !== 0) throw new PgferryError('PGF_RECOVERY_FAILED', `pg_ctl could not start the restored cluster in ${options.dataDir}: ${started.output.trim()}`);
  const stop = () => run(binaries.pg_ctl, ['stop', '-D', options.dataDir, '-m', 'immediate', '-w'], owner);
  const deadline = Date.now() + (options.timeoutMs ?? 30 * 60_000);
  // pg_ctl -W returns before the server wrote its pid file: only its disappearance means a stop.
  let running = false;
  for (;;) {
    const log = existsSync(logFile) ? await readFile(logFile, 'utf8') : '';
    const verdict = judge(log);
    if (verdict && 'done' in verdict) {
      return {
        state: verdict.done,
        stoppedAt: /(recovery stopping [^\n]*)/.exec(log)?.[1],
        lastTransaction: /last completed transaction was at log time ([^\n]*)/.exec(log)?.[1],
        logFile,
        major,
      };
    }
    const present = existsSync(path.join(options.dataDir, 'postmaster.pid'));
    const stopped = running && !present;
    running ||= present;
    if (verdict || stopped || Date.now() > deadline || options.signal?.aborted) {
      await stop();
      const reason = verdict && 'failed' in verdict ? verdict.failed : stopped ? 'the server stopped without saying why' : options.signal?.aborted ? 'cancelled' : 'recovery did not reach its target in time';
      throw new PgferryError('PGF_RECOVERY_FAILED', `recovery of ${options.dataDir} failed: ${reason}; server log: ${logFile}`, { details: { dataDir: options.dataDir, logFile } });
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}
