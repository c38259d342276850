import { type ChildProcess, spawn } from 'node:child_process';

import { trackResource } from '../helpers/leak-check.js';
import { cliPath } from '../helpers/run-cli.js';

export interface StreamProcess {
  child: ChildProcess;
  /** JSON lines printed so far (events, progress, result). */
  lines: Record<string, unknown>[];
  stderr(): string;
  waitFor(check: (line: Record<string, unknown>) => boolean, limitMs?: number): Promise<Record<string, unknown>>;
  /** Resolves with the exit code (or the signal's name). */
  exited: Promise<number | string>;
}

/** `pgferry wal stream … --json` as a subprocess, so tests can SIGKILL it like a crash. */
export function startStreamProcess(args: string[], env: Record<string, string>): StreamProcess {
  const child = spawn(process.execPath, [cliPath, 'wal', 'stream', ...args, '--json'], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Record<string, unknown>[] = [];
  let pending = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    pending += chunk.toString();
    const parts = pending.split('\n');
    pending = parts.pop() ?? '';
    for (const part of parts) if (part.trim()) lines.push(JSON.parse(part) as Record<string, unknown>);
  });
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const release = trackResource('pgferry wal stream subprocess', async () => void child.kill('SIGKILL'));
  const exited = new Promise<number | string>((resolve) =>
    child.on('close', (code, signal) => {
      release();
      resolve(code ?? signal ?? 'unknown');
    }),
  );
  return {
    child,
    lines,
    stderr: () => stderr,
    exited,
    async waitFor(check, limitMs = 120_000) {
      const deadline = Date.now() + limitMs;
      while (Date.now() < deadline) {
        const found = lines.find(check);
        if (found) return found;
        if (child.exitCode !== null || child.signalCode !== null) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      throw new Error(`wal stream did not print the expected line; stderr: ${stderr.slice(-2000)}; lines: ${JSON.stringify(lines.slice(-5))}`);
    },
  };
}
