import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { cliJson, runCli } from '../helpers/run-cli.js';

// Root in a private home (a container's /root is 0700): the embedded PostgreSQL runs as the
// postgres user, which cannot enter it. The cluster must then live under the embedded root,
// at the same place on every start.
const isRoot = process.getuid?.() === 0;
const base = mkdtempSync(path.join(os.tmpdir(), 'pgferry-private-')); // mode 0700
const embeddedRoot = mkdtempSync(path.join(os.tmpdir(), 'pgferry-embedded-root-'));

afterAll(() => {
  rmSync(base, { recursive: true, force: true });
  rmSync(embeddedRoot, { recursive: true, force: true });
});

describe.skipIf(!isRoot)('the embedded store for root in a 0700 home (skipped unless the tests run as root)', () => {
  it('keeps the cluster under PGFERRY_EMBEDDED_ROOT, stable across starts', async () => {
    expect(statSync(base).mode & 0o777).toBe(0o700);
    const home = path.join(base, 'home');
    const env = { PGFERRY_HOME: home, PGFERRY_EMBEDDED_ROOT: embeddedRoot };
    const first = await runCli(['db', 'current', '--json'], env);
    expect(first.code, first.stderr).toBe(0);
    expect(cliJson(first)).toHaveProperty('pending');
    const location = readFileSync(path.join(home, 'embedded-postgres-location'), 'utf8').trim();
    expect(location.startsWith(path.join(embeddedRoot, 'clusters'))).toBe(true);
    expect(existsSync(path.join(location, 'PG_VERSION'))).toBe(true);

    const second = await runCli(['db', 'current', '--json'], env);
    expect(second.code, second.stderr).toBe(0);
    expect(readFileSync(path.join(home, 'embedded-postgres-location'), 'utf8').trim()).toBe(location);
    expect(cliJson(second).current).toBe(cliJson(first).current);
  });
});
