import { beforeAll, describe, expect, it } from 'vitest';

import { compareTables } from '../../../src/engine/diff/diff-tables.js';
import { safeServerReason } from '../../../src/engine/sql/safe-server-reason.js';
import { runSync } from '../../../src/engine/sync/run-sync.js';
import { type DatabasePair, createDatabasePair, sql } from './sync-test-helpers.js';

// Row values never reach a run's results (issue 15, item 7): a failing filter or load reports
// the server's reason without the values in its message or DETAIL.
let pair: DatabasePair;
const secret = 'TOP-SECRET-VALUE-42';

beforeAll(async () => {
  pair = await createDatabasePair();
  await sql(pair.source.url, `CREATE SCHEMA app; CREATE TABLE app.vault (id int PRIMARY KEY, token text NOT NULL);
    INSERT INTO app.vault VALUES (1, '${secret}'), (2, 'other');`);
  await sql(pair.destination.url, `CREATE SCHEMA app; CREATE TABLE app.vault (id int PRIMARY KEY, token text NOT NULL UNIQUE);
    INSERT INTO app.vault VALUES (9, '${secret}');`);
});

describe('error reasons', () => {
  it('leave out the value a filter failed to cast', async () => {
    const result = await runSync({ source: pair.source.config, destination: pair.destination.config, tables: ['app.vault'], mode: 'upsert', where: 'token::int > 0' });
    const table = result.tables[0]!;
    expect(table.status).toBe('failed');
    expect(table.error?.message).toContain('invalid input syntax for type integer');
    expect(JSON.stringify(result)).not.toContain(secret);
  });

  it('leave out the DETAIL of a unique violation', async () => {
    const result = await runSync({ source: pair.source.config, destination: pair.destination.config, tables: ['app.vault'], mode: 'upsert', retry: { attempts: 1 } });
    const table = result.tables[0]!;
    expect(table.status).toBe('failed');
    expect(table.error?.message).toContain('duplicate key value violates unique constraint');
    expect(JSON.stringify(result)).not.toContain(secret);
  });

  it('leave out the value a comparison filter failed to cast', async () => {
    const summary = await compareTables(pair.source.config, pair.destination.config, [{ schema: 'app', name: 'vault', sourceWhere: 'token::int > 0' }]);
    const table = summary.tables[0]!;
    expect(table.status).toBe('failed');
    expect(JSON.stringify(table)).toContain('invalid input syntax for type integer');
    expect(JSON.stringify(summary)).not.toContain(secret);
  });

  it('keep messages without values as they are', () => {
    expect(safeServerReason({ code: '42703', message: 'column "nope" does not exist' })).toBe('column "nope" does not exist');
    expect(safeServerReason({ code: '22P02', message: 'invalid input syntax for type uuid: "abc"' })).toBe('invalid input syntax for type uuid (SQLSTATE 22P02; the value is left out)');
    expect(safeServerReason(new Error('plain'))).toBe('plain');
  });
});
