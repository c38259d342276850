import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { trackResource } from '../helpers/leak-check.js';
import { cliPath } from '../helpers/run-cli.js';

const here = path.dirname(fileURLToPath(import.meta.url));

export interface WorkerProcess {
  child: ChildProcess;
  output: () => string;
  /** Resolves once the process printed `ready`/started (or rejects when it exits first). */
  ready: Promise<void>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

function track(child: ChildProcess, readyPattern: RegExp, name: string): WorkerProcess {
  let output = '';
  let exited = false;
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => {
    exited = true;
    resolve(code);
  }));
  const ready = new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (readyPattern.test(output)) resolve();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    void exit.then((code) => reject(new Error(`${name} exited (${code}) before it was ready:\n${output}`)));
  });
  ready.catch(() => undefined);
  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    if (!exited) child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    const code = await exit;
    clearTimeout(timer);
    return code;
  };
  const release = trackResource(name, async () => void (await stop('SIGKILL')));
  return {
    child,
    output: () => output,
    ready,
    stop: async (signal) => {
      release();
      return stop(signal);
    },
  };
}

/** The stand-in worker of fixtures/sleep-worker.ts in its own process. */
export function startSleepWorker(env: Record<string, string>): WorkerProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'fixtures/sleep-worker.ts')], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return track(child, /^ready /m, 'sleep worker process');
}

/** A real `pgferry worker` process. */
export function startPgferryWorker(args: string[], env: Record<string, string>): WorkerProcess {
  const child = spawn(process.execPath, [cliPath, 'worker', ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return track(child, /worker started/, 'pgferry worker process');
}

/** A real `pgferry serve` process; ready once it listens. */
export function startPgferryServe(args: string[], env: Record<string, string>): WorkerProcess {
  const child = spawn(process.execPath, [cliPath, 'serve', '--port', '0', ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return track(child, /pgferry is serving/, 'pgferry serve process');
}
