import { spawn } from 'node:child_process';
import { chmod } from 'node:fs/promises';
import path from 'node:path';

import type { Binaries } from '../../src/store/embedded-postgres.js';
import { trackResource } from './leak-check.js';
import { freePort } from '../../src/engine/free-port.js';

export interface StartedDataDir {
  port: number;
  url(database: string, password: string): string;
  stop(): Promise<void>;
}

function run(command: string, args: string[], owner: { uid?: number; gid?: number }): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...owner, env: { ...process.env, LC_ALL: 'C' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

/** The postgres system user's ids when running as root (PostgreSQL refuses root), as EmbeddedPostgres does. */
export async function postgresOwner(): Promise<{ uid: number; gid: number } | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const uid = await run('id', ['-u', 'postgres'], {});
  const gid = await run('id', ['-g', 'postgres'], {});
  return { uid: Number(uid.output.trim()), gid: Number(gid.output.trim()) };
}

/**
 * Starts a restored data directory with the given major's binaries (as `postgres` when
 * root; `home`, the directory holding it, is opened for that user to pass through).
 */
export async function startDataDir(binaries: Binaries, dataDir: string, home: string): Promise<StartedDataDir> {
  const owner: { uid?: number; gid?: number } = (await postgresOwner()) ?? {};
  await chmod(home, 0o711);
  const port = await freePort();
  const log = path.join(home, `restored-${port}.log`);
  if (owner.uid !== undefined) await run('touch', [log], {}).then(() => run('chown', [`${String(owner.uid)}:${String(owner.gid)}`, log], {}));
  const started = await run(binaries.pg_ctl, ['start', '-D', dataDir, '-w', '-t', '120', '-l', log, '-o', `-p ${port}`], owner);
  if (started.code !== 0) {
    const tail = (await run('tail', ['-n', '30', log], {})).output;
    throw new Error(`the restored cluster did not start: ${started.output}\n${tail}`);
  }
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    release();
    await run(binaries.pg_ctl, ['stop', '-D', dataDir, '-m', 'fast', '-w', '-t', '60'], owner);
  };
  const release = trackResource(`restored cluster in ${dataDir}`, stop);
  return {
    port,
    url: (database, password) => `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${encodeURIComponent(database)}`,
    stop,
  };
}
