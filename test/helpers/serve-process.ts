import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';

import { trackResource } from './leak-check.js';
import { cliPath } from './run-cli.js';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface ServeProcess {
  url: string;
  child: ChildProcess;
  output: () => string;
  /** Sends the signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `pgferry serve` (or another long-running command) and waits until /ready answers 200. */
export async function startServe(env: Record<string, string>, args: string[] = ['serve'], readyTimeoutMs = 600_000): Promise<ServeProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, [cliPath, ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LOG_LEVEL: 'info', PORT: String(port), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const release = trackResource(`pgferry ${args.join(' ')} (pid ${child.pid})`, async () => {
    child.kill('SIGKILL');
    await exited;
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + readyTimeoutMs;
  while (true) {
    if (child.exitCode !== null) {
      release();
      throw new Error(`pgferry exited with ${child.exitCode} before it was ready:\n${output}`);
    }
    const ok = await fetch(`${url}/ready`).then((response) => response.status === 200, () => false);
    if (ok) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      release();
      throw new Error(`pgferry was not ready within ${readyTimeoutMs} ms:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return {
    url,
    child,
    output: () => output,
    stop: async (signal = 'SIGTERM') => {
      child.kill(signal);
      const code = await exited;
      release();
      return code;
    },
  };
}
