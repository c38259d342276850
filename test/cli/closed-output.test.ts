import { describe, expect, it } from 'vitest';

import { runCli } from '../helpers/run-cli.js';

describe('output to a closed pipe', () => {
  it('is dropped without a stack trace, and the command keeps its exit code', async () => {
    for (const args of [['--help'], ['restore', '--help']]) {
      const result = await runCli(args, {}, { closedStdout: true });
      expect(result.stderr).not.toMatch(/EPIPE|Unhandled/);
      expect(result.code).toBe(0);
    }
    const failing = await runCli(['restore', '/nonexistent/pgferry-backup', '--to-dir', '/nonexistent/pgferry-restore'], {}, { closedStdout: true });
    expect(failing.stderr).toMatch(/no manifest\.json.*\[PGF_ARCHIVE_INVALID\]/);
    expect(failing.code).toBe(11);
  });
});
