import { spawn } from 'node:child_process';

import { describe, expect, it } from 'vitest';

import { cliPath } from '../helpers/run-cli.js';

/** Runs pgferry with its stdout a pipe whose reading end is closed before the child starts writing (`pgferry … | head` after head exits). */
function runWithClosedStdout(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliPath, ...args], { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

describe('output to a closed pipe', () => {
  it('is dropped without a stack trace, and the command keeps its exit code', async () => {
    for (const args of [['--help'], ['restore', '--help']]) {
      const result = await runWithClosedStdout(args);
      expect(result.stderr).not.toMatch(/EPIPE|Unhandled/);
      expect(result.code).toBe(0);
    }
    const failing = await runWithClosedStdout(['restore', '/nonexistent/pgferry-backup', '--to-dir', '/nonexistent/pgferry-restore']);
    expect(failing.stderr).toMatch(/no manifest\.json.*\[PGF_ARCHIVE_INVALID\]/);
    expect(failing.code).toBe(11);
  });
});
