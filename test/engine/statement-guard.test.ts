import { describe, expect, it } from 'vitest';

import { assertRestorableStatements, refusedStatementReason } from '../../src/engine/restore/statement-guard.js';
import { leadingWords, splitStatements } from '../../src/engine/sql/split-statements.js';

describe('splitStatements', () => {
  it('splits at top-level semicolons only', () => {
    const text = `CREATE TABLE a (x text DEFAULT 'a;b');
      COMMENT ON TABLE a IS 'it''s; fine';
      CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$ BEGIN RETURN 1; END $$;
      CREATE FUNCTION g() RETURNS text LANGUAGE sql AS $body$ SELECT 'x;$$;y' $body$;
      -- a comment; with a semicolon
      /* nested /* comment; */ still; */ CREATE TABLE "we;ird" (y int);
      SELECT E'back\\'slash; quote';
      ;;
      CREATE VIEW v AS SELECT 1`;
    expect(splitStatements(text)).toEqual([
      "CREATE TABLE a (x text DEFAULT 'a;b')",
      "COMMENT ON TABLE a IS 'it''s; fine'",
      'CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$ BEGIN RETURN 1; END $$',
      "CREATE FUNCTION g() RETURNS text LANGUAGE sql AS $body$ SELECT 'x;$$;y' $body$",
      expect.stringContaining('CREATE TABLE "we;ird" (y int)'),
      "SELECT E'back\\'slash; quote'",
      'CREATE VIEW v AS SELECT 1',
    ]);
  });

  it('reads the leading words past comments', () => {
    expect(leadingWords('/* x */ -- y\n  alter   role bob superuser')).toEqual(['ALTER', 'ROLE', 'BOB', 'SUPERUSER']);
  });
});

describe('statements a restore refuses', () => {
  it.each([
    'COMMIT',
    'commit work',
    'END',
    'BEGIN',
    'ROLLBACK',
    'SAVEPOINT s',
    'PREPARE TRANSACTION \'x\'',
    'ALTER ROLE postgres PASSWORD \'x\'',
    '/* hidden */ ALTER USER app SUPERUSER',
    'CREATE ROLE evil SUPERUSER LOGIN',
    'DROP ROLE app',
    'GRANT pg_read_server_files TO app',
    'GRANT "admin" TO app',
    'REVOKE admin FROM app',
    'ALTER SYSTEM SET ssl = off',
    'CREATE DATABASE other',
    'DROP DATABASE postgres',
    'CREATE TABLESPACE t LOCATION \'/tmp\'',
    'DO $$ BEGIN EXECUTE \'ALTER ROLE x SUPERUSER\'; END $$',
    'COPY t FROM PROGRAM \'id\'',
    'SET ROLE postgres',
    'SET SESSION AUTHORIZATION postgres',
    'SELECT evil()',
    "SELECT pg_catalog.setval('s', 1, true), evil()",
    'SELECT pg_read_file(\'/etc/passwd\')',
    'CREATE EVENT TRIGGER e ON ddl_command_start EXECUTE FUNCTION f()',
    'CALL p()',
  ])('%s', (statement) => {
    expect(refusedStatementReason(statement)).toBeDefined();
  });

  it.each([
    'CREATE SCHEMA app',
    'CREATE TABLE app.t (id integer)',
    'ALTER TABLE app.t OWNER TO app_owner',
    'GRANT SELECT ON TABLE app.t TO reader',
    'GRANT USAGE ON SCHEMA app TO reader',
    'REVOKE ALL ON FUNCTION app.f() FROM PUBLIC',
    "COMMENT ON TABLE app.t IS 'GRANT admin TO x; COMMIT'",
    'CREATE USER MAPPING FOR app SERVER s OPTIONS (user \'x\')',
    'ALTER DEFAULT PRIVILEGES IN SCHEMA app GRANT SELECT ON TABLES TO reader',
    "SELECT pg_catalog.setval('app.s', 42, true)",
    "SELECT pg_catalog.lo_create('16401')",
    "SELECT pg_catalog.lo_unlink(oid) FROM pg_catalog.pg_largeobject_metadata WHERE oid = '16401'",
    'CREATE FUNCTION app.f() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$',
    'ALTER TABLE app.t CLUSTER ON t_pkey',
  ])('%s is allowed', (statement) => {
    expect(refusedStatementReason(statement)).toBeUndefined();
  });

  it('names the file and the statement, cut short', () => {
    expect(() => assertRestorableStatements(['CREATE SCHEMA a', `ALTER ROLE postgres SUPERUSER ${'x'.repeat(200)}`], 'schema/pre-data.sql')).toThrow(
      expect.objectContaining({ code: 'PGF_ARCHIVE_STATEMENT_REFUSED', message: expect.stringMatching(/^schema\/pre-data\.sql holds a statement a restore does not run: "ALTER ROLE postgres SUPERUSER x+…"/) }),
    );
  });
});
