import { describe, expect, it } from 'vitest';

import { createDatabasePair, runSql } from '../diff/diff-test-databases.js';
import { expectSameRows, expectSameSchema } from './fidelity-harness.js';

// Objects whose definitions do not depend on the tables reader (views, sequences, default
// privileges), so this checks the harness itself.
const schemaSetup = `
CREATE SCHEMA s;
CREATE SEQUENCE s.counter START 10;
CREATE VIEW s.v AS SELECT 1 AS one;
COMMENT ON VIEW s.v IS 'a view';
`;

const rowsSetup = `
CREATE TABLE keyed (id int PRIMARY KEY, v text);
INSERT INTO keyed SELECT g, 'v' || g FROM generate_series(1, 50) g;
CREATE TABLE bag (v text);
INSERT INTO bag VALUES ('a'), ('a'), ('b');
CREATE SEQUENCE ticket;
SELECT nextval('ticket');
SELECT lo_from_bytea(515151, 'blob');
`;

describe('fidelity harness', () => {
  it('expectSameSchema passes for equal schemas and names what differs, by diff --schema and by pg_dump', async () => {
    const pair = await createDatabasePair(schemaSetup);
    await expectSameSchema(pair.sourceUrl, pair.destinationUrl);

    await runSql(pair.destinationUrl, `CREATE OR REPLACE VIEW s.v AS SELECT 2 AS one`);
    const both = await expectSameSchema(pair.sourceUrl, pair.destinationUrl).then(() => '', (error: Error) => error.message);
    expect(both).toMatch(/diff --schema found differences:\nDifferent \(1\):\n {2}≠ view s\.v/);
    expect(both).toMatch(/pg_dump --schema-only differs:\n--- source\n\+\+\+ destination\n@@/);
    expect(both).toContain('\n- SELECT 1 AS one;\n+ SELECT 2 AS one;');

    // pg_dump --no-privileges hides default privileges; diff --schema does not.
    await runSql(pair.destinationUrl, `CREATE OR REPLACE VIEW s.v AS SELECT 1 AS one; ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO PUBLIC`);
    const hidden = await expectSameSchema(pair.sourceUrl, pair.destinationUrl).then(() => '', (error: Error) => error.message);
    expect(hidden).toMatch(/Extra on the destination \(1\):\n {2}\+ default privileges/);
    expect(hidden).not.toContain('pg_dump --schema-only differs');
  });

  it('expectSameRows compares rows, large objects and sequence positions', async () => {
    const pair = await createDatabasePair(rowsSetup);
    await expectSameRows(pair.sourceUrl, pair.destinationUrl);

    await runSql(pair.destinationUrl, `UPDATE keyed SET v = 'changed' WHERE id = 7`);
    await expect(expectSameRows(pair.sourceUrl, pair.destinationUrl)).rejects.toThrow(/rows differ:\npublic\.keyed: different .*"key":\["7"\]/);
    await runSql(pair.destinationUrl, `UPDATE keyed SET v = 'v7' WHERE id = 7; SELECT lo_put(515151, 0, 'BLOB')`);
    await expect(expectSameRows(pair.sourceUrl, pair.destinationUrl)).rejects.toThrow(/large objects/);
    await runSql(pair.destinationUrl, `SELECT lo_put(515151, 0, 'blob'); SELECT nextval('ticket')`);
    await expect(expectSameRows(pair.sourceUrl, pair.destinationUrl)).rejects.toThrow(/sequence positions/);
    await expectSameRows(pair.sourceUrl, pair.destinationUrl, { sequences: false });
  });
});
