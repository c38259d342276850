import { describe, expect, it } from 'vitest';

import { cliJson, runCli } from '../../helpers/run-cli.js';
import { createTestDatabase } from '../../helpers/test-database.js';
import { createDatabasePair, runSql } from './diff-test-databases.js';

const setup = `
CREATE SCHEMA sales;
CREATE TABLE sales.orders (id int PRIMARY KEY, total numeric(10,2));
INSERT INTO sales.orders SELECT g, g * 2.5 FROM generate_series(1, 1000) AS g;
CREATE TABLE sales.audit_log (at timestamptz, what text);
INSERT INTO sales.audit_log SELECT timestamptz '2024-01-01' + g * interval '1 minute', 'x' FROM generate_series(1, 100) AS g;
`;

describe('pgferry diff', () => {
  it('exits 0 for equal databases, 20 with differences, and prints JSON for machines', async () => {
    const pair = await createDatabasePair(setup);
    const equal = await runCli(['diff', '--from', pair.sourceUrl, '--to', pair.destinationUrl]);
    expect(equal.stderr).toBe('');
    expect(equal.code).toBe(0);
    expect(equal.stdout).toMatch(/= sales\.orders: equal \(1,000 rows\)/);
    expect(equal.stdout).toMatch(/2 table\(s\) compared: 2 equal/);

    await runSql(pair.destinationUrl, `UPDATE sales.orders SET total = 0 WHERE id = 77; DELETE FROM sales.audit_log WHERE what = 'x' AND at < '2024-01-01 00:05'`);
    const different = await runCli(['diff', '--from', pair.sourceUrl, '--to', pair.destinationUrl, '--json']);
    expect(different.code).toBe(20);
    const output = cliJson(different) as {
      equal: boolean;
      exitCode: number;
      bytesTransferred: number;
      tables: Array<{ name: string; status: string; rows: unknown[] }>;
    };
    expect(output.equal).toBe(false);
    expect(output.exitCode).toBe(20);
    expect(output.bytesTransferred).toBeGreaterThan(0);
    expect(output.tables.find((table) => table.name === 'orders')).toMatchObject({ status: 'different', rows: [{ kind: 'changed', key: ['77'] }] });
    expect(output.tables.find((table) => table.name === 'audit_log')).toMatchObject({ status: 'different' });

    const excluded = await runCli(['diff', '--from', pair.sourceUrl, '--to', pair.destinationUrl, '--tables', 'sales.*', '--exclude', 'audit_*', '--json']);
    expect(cliJson(excluded).tables.map((table: { name: string }) => table.name)).toEqual(['orders']);
    expect(excluded.code).toBe(20);
  });

  it('resolves saved connection names from the metadata store', async () => {
    const pair = await createDatabasePair(setup);
    const store = await createTestDatabase();
    const env = { DATABASE_URL: store.url, PGFERRY_ENCRYPTION_KEY: 'ab'.repeat(32) };
    expect((await runCli(['connections', 'add', 'bench-source', pair.sourceUrl], env)).code).toBe(0);
    const named = await runCli(['diff', '--from', 'bench-source', '--to', pair.destinationUrl, '--json'], env);
    expect(named.stderr).toBe('');
    expect(named.code).toBe(0);
    expect(cliJson(named)).toMatchObject({ equal: true, exitCode: 0 });
    const unknown = await runCli(['diff', '--from', 'no-such-connection', '--to', pair.destinationUrl], env);
    expect(unknown.code).toBe(4);
    expect(unknown.stderr).toMatch(/connection "no-such-connection" does not exist/);
  });

  it('rejects bad input with exit 2 and an unreachable database with exit 3, never echoing a password', async () => {
    const pair = await createDatabasePair(setup);
    const noMatch = await runCli(['diff', '--from', pair.sourceUrl, '--to', pair.destinationUrl, '--tables', 'nothing_here']);
    expect(noMatch.code).toBe(2);
    expect(noMatch.stderr).toMatch(/no table of the source matches/);

    const badLimit = await runCli(['diff', '--from', pair.sourceUrl, '--to', pair.destinationUrl, '--max-rows', '0']);
    expect(badLimit.code).toBe(2);
    expect(badLimit.stderr).toMatch(/--max-rows expects an integer/);

    const unreachable = await runCli(['diff', '--from', 'postgres://someone:S3cretPassw0rd@127.0.0.1:1/nowhere', '--to', pair.destinationUrl]);
    expect(unreachable.code).toBe(3);
    expect(unreachable.stderr).toMatch(/PGF_CONNECTION_REFUSED/);
    expect(unreachable.stderr + unreachable.stdout).not.toContain('S3cretPassw0rd');
  });
});
