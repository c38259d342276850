import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const cliPath = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/pgferry.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Killed after `timeoutMs` (a hang, not slowness: the default is generous for busy CI machines). */
  timedOut?: boolean;
}

/** A command's JSON output: tests check its fields with expect, as JSON.parse's `any` did. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type CliJson = Record<string, any>;

/**
 * The child's stdout as JSON; when it is not JSON, an error that shows the exit code and
 * stderr, so a failing CLI is reported as such instead of as "Unexpected end of JSON input".
 */
export function cliJson<T = CliJson>(result: CliResult): T {
  try {
    return JSON.parse(result.stdout) as T;
  } catch {
    throw new Error(
      `pgferry printed no JSON (exit code ${result.code}${result.timedOut ? ', killed after its time limit' : ''})\nstderr: ${result.stderr.slice(-4000)}\nstdout: ${result.stdout.slice(-2000)}`,
    );
  }
}

/** Runs `pgferry …` as a subprocess with a clean environment plus `env`. */
/** `closedStdout`: the pipe's reading end is closed before the child writes (`pgferry … | head` after head exits). */
export function runCli(args: string[], env: Record<string, string> = {}, options: { cwd?: string; timeoutMs?: number; closedStdout?: boolean } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliPath, ...args], {
      cwd: options.cwd ?? process.cwd(),
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (options.closedStdout) child.stdout.destroy();
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    let timedOut = false;
    // Only a guard against hangs: a busy machine may take minutes for what takes seconds when quiet.
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs ?? 600_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ...(timedOut ? { timedOut } : {}) });
    });
  });
}
