/**
 * Source databases for schema fidelity: one small database per object kind and per trap that
 * pg_dump handles (see postgres/postgres src/bin/pg_dump/pg_dump.c). Each `sql` runs on a
 * fresh database made from template0, with `search_path = public`. Reused by the schema
 * layer's own round trip and by the sync, backup and restore fidelity tests.
 */
import { corpusCases } from './corpus-cases.js';

export interface FidelityCase {
  name: string;
  sql: string;
  /** server_version_num the SQL needs (e.g. 150000 for publication column lists). */
  minServerVersion?: number;
  /** Server capabilities the SQL needs, comma-separated, each checked by `needsQuery` (e.g. 'icu', 'extension:citext'). */
  needs?: string;
}

/** One of `needs` → a query returning one boolean column `ok`. */
export function needsQuery(need: string): string {
  if (need === 'icu') return `SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_collation WHERE collprovider = 'i') AS ok`;
  if (need === 'superuser') return `SELECT rolsuper AS ok FROM pg_catalog.pg_roles WHERE rolname = current_user`;
  const extension = /^extension:([a-z0-9_-]+)$/.exec(need);
  if (extension) return `SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_available_extensions WHERE name = '${extension[1]}') AS ok`;
  throw new Error(`unknown need ${need}`);
}

const kindCases: FidelityCase[] = [
  {
    name: 'function returning SETOF a table row type',
    sql: `
CREATE TABLE items (id int PRIMARY KEY, name text);
CREATE FUNCTION all_items() RETURNS SETOF items LANGUAGE sql STABLE AS 'SELECT * FROM items';
CREATE FUNCTION item_names(OUT id int, OUT name text) RETURNS SETOF record LANGUAGE sql STABLE AS 'SELECT id, name FROM items';
CREATE FUNCTION first_item() RETURNS TABLE (id int, label text) LANGUAGE sql AS 'SELECT id, name FROM items LIMIT 1';
COMMENT ON FUNCTION all_items() IS 'every item';`,
  },
  {
    name: 'functions and procedures with options',
    sql: `
CREATE FUNCTION add(a int, b int DEFAULT 1) RETURNS int LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE COST 5 AS 'SELECT a + b';
CREATE FUNCTION secure() RETURNS text LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$ BEGIN RETURN current_user; END $$;
CREATE FUNCTION many(VARIADIC xs int[]) RETURNS SETOF int LANGUAGE sql ROWS 10 AS 'SELECT unnest(xs)';
CREATE FUNCTION overloaded(int) RETURNS int LANGUAGE sql AS 'SELECT 1';
CREATE FUNCTION overloaded(text) RETURNS int LANGUAGE sql AS 'SELECT 2';
CREATE PROCEDURE reset_all(INOUT n int) LANGUAGE plpgsql AS $$ BEGIN n := 0; END $$;
CREATE FUNCTION leaky(int) RETURNS boolean LANGUAGE sql LEAKPROOF STABLE AS 'SELECT $1 > 0';`,
  },
  {
    name: 'table default and check calling a function',
    sql: `
CREATE FUNCTION next_code() RETURNS text LANGUAGE sql VOLATILE AS $$SELECT 'c-' || floor(random() * 1000)::int$$;
CREATE FUNCTION is_code(text) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$SELECT $1 LIKE 'c-%'$$;
CREATE TABLE codes (id int PRIMARY KEY, code text DEFAULT next_code() CHECK (is_code(code)));`,
  },
  {
    name: 'custom ICU collation used by a column',
    needs: 'icu',
    sql: `
CREATE COLLATION german_phonebook (provider = icu, locale = 'de-u-co-phonebk');
CREATE COLLATION ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
CREATE TABLE names (id int, family text COLLATE german_phonebook, handle text COLLATE ci);
CREATE INDEX names_family ON names (family);
COMMENT ON COLLATION ci IS 'case-insensitive';`,
  },
  {
    name: 'domain in one schema used by a table in another',
    sql: `
CREATE SCHEMA x;
CREATE SCHEMA y;
CREATE DOMAIN x.positive AS int DEFAULT 1 NOT NULL CONSTRAINT positive_check CHECK (VALUE > 0);
CREATE DOMAIN x.email AS text COLLATE "C" CHECK (VALUE ~ '@');
ALTER DOMAIN x.email ADD CONSTRAINT email_short CHECK (length(VALUE) < 200) NOT VALID;
CREATE TABLE y.accounts (id x.positive PRIMARY KEY, mail x.email);
COMMENT ON DOMAIN x.positive IS 'greater than zero';`,
  },
  {
    name: 'enum, composite and range types',
    sql: `
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
ALTER TYPE mood ADD VALUE 'meh' BEFORE 'ok';
CREATE TYPE pair AS (left_side int, right_side text COLLATE "C");
CREATE TABLE feelings (id int, m mood, p pair, ms mood[]);
COMMENT ON TYPE pair IS 'two things';
COMMENT ON COLUMN pair.left_side IS 'first';`,
  },
  {
    name: 'range type with its constructor',
    sql: `
CREATE TYPE floatrange AS RANGE (subtype = float8, subtype_diff = float8mi);
CREATE TABLE readings (id int, span floatrange DEFAULT floatrange(0, 1));
CREATE VIEW spans AS SELECT floatrange(0, 2, '[]') AS r;`,
  },
  {
    name: 'range type with a multirange name',
    minServerVersion: 140000,
    sql: `
CREATE TYPE timerange AS RANGE (subtype = time, multirange_type_name = time_ranges);
CREATE TABLE shifts (id int, hours time_ranges);`,
  },
  {
    name: 'views in a view-only schema',
    sql: `
CREATE SCHEMA base;
CREATE TABLE base.people (id int PRIMARY KEY, name text, born date);
CREATE SCHEMA api;
CREATE VIEW api.people AS SELECT id, name FROM base.people;
CREATE VIEW api.names WITH (security_barrier) AS SELECT name FROM api.people WHERE name IS NOT NULL;
CREATE VIEW api.checked AS SELECT id, name FROM base.people WHERE id > 0 WITH CASCADED CHECK OPTION;
CREATE MATERIALIZED VIEW api.counts AS SELECT count(*) AS n FROM base.people;
CREATE UNIQUE INDEX counts_n ON api.counts (n);`,
  },
  {
    name: 'view that depends on a primary key',
    sql: `
CREATE TABLE orders (id int PRIMARY KEY, customer text);
CREATE TABLE lines (order_id int REFERENCES orders, amount numeric);
CREATE VIEW order_totals AS SELECT o.id, o.customer, sum(l.amount) AS total FROM orders o JOIN lines l ON l.order_id = o.id GROUP BY o.id;`,
  },
  {
    name: 'view and function referring to each other',
    sql: `
CREATE TABLE t (a int);
CREATE VIEW v AS SELECT a FROM t;
CREATE FUNCTION f() RETURNS SETOF v LANGUAGE sql STABLE AS 'SELECT * FROM v';
CREATE OR REPLACE VIEW v AS SELECT a FROM t UNION ALL SELECT a FROM f() WHERE false;`,
  },
  {
    name: 'user-defined aggregate used by a view',
    sql: `
CREATE FUNCTION add_square(numeric, numeric) RETURNS numeric LANGUAGE sql IMMUTABLE AS 'SELECT $1 + $2 * $2';
CREATE FUNCTION root_of(numeric) RETURNS numeric LANGUAGE sql IMMUTABLE AS 'SELECT sqrt($1)';
CREATE AGGREGATE sum_squares(numeric) (SFUNC = add_square, STYPE = numeric, INITCOND = '0', FINALFUNC = root_of);
CREATE AGGREGATE my_count(*) (SFUNC = int8inc, STYPE = int8, INITCOND = '0');
CREATE TABLE measures (x numeric);
CREATE VIEW measure_stats AS SELECT sum_squares(x) AS norm, my_count(*) AS n FROM measures;`,
  },
  {
    name: 'rules',
    sql: `
CREATE TABLE entries (id int, note text);
CREATE TABLE entries_log (id int, note text, at timestamptz DEFAULT now());
CREATE RULE entries_keep AS ON INSERT TO entries DO INSTEAD INSERT INTO entries_log (id, note) VALUES (NEW.id, NEW.note);
CREATE RULE entries_no_negative AS ON UPDATE TO entries WHERE NEW.id < 0 DO INSTEAD NOTHING;
CREATE VIEW recent AS SELECT id, note FROM entries_log;
CREATE RULE recent_insert AS ON INSERT TO recent DO INSTEAD INSERT INTO entries_log (id, note) VALUES (NEW.id, NEW.note);
ALTER TABLE entries DISABLE RULE entries_no_negative;
COMMENT ON RULE entries_keep ON entries IS 'log instead';`,
  },
  {
    name: 'event trigger',
    needs: 'superuser',
    sql: `
CREATE FUNCTION log_ddl() RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN RAISE NOTICE 'ddl'; END $$;
CREATE EVENT TRIGGER log_ddl_end ON ddl_command_end WHEN TAG IN ('CREATE TABLE', 'DROP TABLE') EXECUTE FUNCTION log_ddl();
CREATE EVENT TRIGGER log_ddl_start ON ddl_command_start EXECUTE FUNCTION log_ddl();
ALTER EVENT TRIGGER log_ddl_start DISABLE;
COMMENT ON EVENT TRIGGER log_ddl_end IS 'says so';`,
  },
  {
    name: 'publications',
    // FOR ALL TABLES (and, on 15, FOR TABLES IN SCHEMA) needs a superuser.
    needs: 'superuser',
    sql: `
CREATE TABLE events (id int PRIMARY KEY, kind text);
CREATE TABLE metrics (id int PRIMARY KEY, value float8);
CREATE PUBLICATION everything FOR ALL TABLES WITH (publish = 'insert, update');
CREATE PUBLICATION some_tables FOR TABLE events, metrics WITH (publish_via_partition_root = true);
CREATE PUBLICATION empty_one;
COMMENT ON PUBLICATION some_tables IS 'two tables';`,
  },
  {
    name: 'publication with a column list, a row filter and a schema',
    minServerVersion: 150000,
    needs: 'superuser',
    sql: `
CREATE SCHEMA feed;
CREATE TABLE feed.items (id int PRIMARY KEY, a int, b text, secret text);
CREATE TABLE public.things (id int PRIMARY KEY, kind text);
CREATE PUBLICATION partial FOR TABLE feed.items (id, a, b) WHERE (a > 0);
CREATE PUBLICATION by_schema FOR TABLES IN SCHEMA feed, TABLE public.things WHERE (kind <> 'hidden');`,
  },
  {
    name: 'extended statistics',
    sql: `
CREATE TABLE zips (city text, state text, zip text);
CREATE STATISTICS zips_dep (dependencies, ndistinct) ON city, state FROM zips;
CREATE STATISTICS zips_mcv (mcv) ON state, zip FROM zips;
ALTER STATISTICS zips_mcv SET STATISTICS 500;
COMMENT ON STATISTICS zips_dep IS 'city implies state';`,
  },
  {
    name: 'extended statistics on expressions',
    minServerVersion: 140000,
    sql: `
CREATE TABLE stamps (at timestamptz, n int);
CREATE STATISTICS stamps_expr ON date_trunc('day', at AT TIME ZONE 'UTC'), (n % 10) FROM stamps;`,
  },
  {
    name: 'operator, operator class and family',
    sql: `
CREATE FUNCTION abs_lt(int, int) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT abs($1) < abs($2)';
CREATE FUNCTION abs_le(int, int) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT abs($1) <= abs($2)';
CREATE FUNCTION abs_eq(int, int) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT abs($1) = abs($2)';
CREATE FUNCTION abs_ge(int, int) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT abs($1) >= abs($2)';
CREATE FUNCTION abs_gt(int, int) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT abs($1) > abs($2)';
CREATE FUNCTION abs_cmp(int, int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT CASE WHEN abs($1) < abs($2) THEN -1 WHEN abs($1) > abs($2) THEN 1 ELSE 0 END';
CREATE OPERATOR <# (LEFTARG = int, RIGHTARG = int, FUNCTION = abs_lt, COMMUTATOR = >#, NEGATOR = >=#, RESTRICT = scalarltsel, JOIN = scalarltjoinsel);
CREATE OPERATOR <=# (LEFTARG = int, RIGHTARG = int, FUNCTION = abs_le, COMMUTATOR = >=#, NEGATOR = >#);
CREATE OPERATOR =# (LEFTARG = int, RIGHTARG = int, FUNCTION = abs_eq, COMMUTATOR = =#, RESTRICT = eqsel, JOIN = eqjoinsel, MERGES);
CREATE OPERATOR >=# (LEFTARG = int, RIGHTARG = int, FUNCTION = abs_ge, COMMUTATOR = <=#, NEGATOR = <#);
CREATE OPERATOR >#  (LEFTARG = int, RIGHTARG = int, FUNCTION = abs_gt, COMMUTATOR = <#, NEGATOR = <=#);
CREATE OPERATOR FAMILY abs_int_family USING btree;
CREATE OPERATOR CLASS abs_int_ops FOR TYPE int USING btree FAMILY abs_int_family AS
  OPERATOR 1 <#, OPERATOR 2 <=#, OPERATOR 3 =#, OPERATOR 4 >=#, OPERATOR 5 >#, FUNCTION 1 abs_cmp(int, int);
CREATE FUNCTION negate(int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT -$1';
CREATE OPERATOR ~~~ (RIGHTARG = int, FUNCTION = negate);
CREATE TABLE magnitudes (v int);
CREATE INDEX magnitudes_abs ON magnitudes (v abs_int_ops);
COMMENT ON OPERATOR <# (int, int) IS 'closer to zero';
CREATE OPERATOR FAMILY loose_fam USING hash;
ALTER OPERATOR FAMILY loose_fam USING hash ADD OPERATOR 1 = (int4, int4), FUNCTION 1 (int4, int4) hashint4(int4);`,
  },
  {
    name: 'casts',
    sql: `
CREATE TYPE level AS ENUM ('low', 'high');
CREATE FUNCTION level_to_int(level) RETURNS int LANGUAGE sql IMMUTABLE AS $$SELECT CASE $1 WHEN 'low' THEN 0 ELSE 1 END$$;
CREATE CAST (level AS integer) WITH FUNCTION level_to_int(level) AS ASSIGNMENT;
CREATE TYPE wrapped AS (v int);
CREATE CAST (wrapped AS text) WITH INOUT;
COMMENT ON CAST (level AS integer) IS 'ordinal';`,
  },
  {
    name: 'text search configuration and dictionary',
    sql: `
CREATE TEXT SEARCH DICTIONARY simple_english (TEMPLATE = pg_catalog.simple, STOPWORDS = english, ACCEPT = false);
CREATE TEXT SEARCH CONFIGURATION my_english (COPY = pg_catalog.english);
ALTER TEXT SEARCH CONFIGURATION my_english ALTER MAPPING FOR asciiword, word WITH simple_english, english_stem;
ALTER TEXT SEARCH CONFIGURATION my_english DROP MAPPING FOR url;
CREATE TABLE docs (body text, tsv tsvector GENERATED ALWAYS AS (to_tsvector('public.my_english'::regconfig, body)) STORED);
COMMENT ON TEXT SEARCH CONFIGURATION my_english IS 'english with a twist';`,
  },
  {
    name: 'conversion',
    sql: `
CREATE CONVERSION latin1_to_utf8_copy FOR 'LATIN1' TO 'UTF8' FROM pg_catalog.iso8859_1_to_utf8;
COMMENT ON CONVERSION latin1_to_utf8_copy IS 'a copy';`,
  },
  {
    name: 'large objects referenced by an oid column',
    sql: `
CREATE TABLE attachments (id int PRIMARY KEY, body oid);
INSERT INTO attachments VALUES (1, lo_from_bytea(424242, 'hello, large object'));
INSERT INTO attachments VALUES (2, lo_from_bytea(424243, ''));
COMMENT ON LARGE OBJECT 424242 IS 'greeting';`,
  },
  {
    name: 'reloptions',
    sql: `
CREATE TABLE tuned (id int PRIMARY KEY WITH (fillfactor = 90), v text) WITH (fillfactor = 70, autovacuum_enabled = false, toast.autovacuum_enabled = false);
CREATE INDEX tuned_v ON tuned (v) WITH (fillfactor = 50);
CREATE VIEW tuned_view WITH (security_barrier = true) AS SELECT id FROM tuned;`,
  },
  {
    name: 'replica identity full, using index and nothing',
    sql: `
CREATE TABLE ri_full (id int PRIMARY KEY, v text);
ALTER TABLE ri_full REPLICA IDENTITY FULL;
CREATE TABLE ri_index (id int NOT NULL, code text NOT NULL);
CREATE UNIQUE INDEX ri_index_code ON ri_index (code);
ALTER TABLE ri_index REPLICA IDENTITY USING INDEX ri_index_code;
CREATE TABLE ri_nothing (v text);
ALTER TABLE ri_nothing REPLICA IDENTITY NOTHING;`,
  },
  {
    name: 'column storage and statistics',
    sql: `
CREATE TABLE columns_tuned (a text, b text, c int);
ALTER TABLE columns_tuned ALTER COLUMN a SET STORAGE EXTERNAL;
ALTER TABLE columns_tuned ALTER COLUMN b SET STORAGE MAIN;
ALTER TABLE columns_tuned ALTER COLUMN c SET STATISTICS 300;
ALTER TABLE columns_tuned ALTER COLUMN a SET (n_distinct = 100);`,
  },
  {
    name: 'column compression pglz',
    minServerVersion: 140000,
    sql: `CREATE TABLE compressed (a text COMPRESSION pglz, b text);`,
  },
  {
    name: 'cluster on an index',
    sql: `
CREATE TABLE clustered (id int PRIMARY KEY, at date);
CREATE INDEX clustered_at ON clustered (at);
ALTER TABLE clustered CLUSTER ON clustered_at;
CREATE TABLE clustered_pk (id int PRIMARY KEY);
ALTER TABLE clustered_pk CLUSTER ON clustered_pk_pkey;`,
  },
  {
    name: 'comments on view columns and on schema public',
    sql: `
COMMENT ON SCHEMA public IS 'the application''s schema';
CREATE TABLE people (id int PRIMARY KEY, name text);
COMMENT ON TABLE people IS 'everyone';
COMMENT ON COLUMN people.name IS 'full name';
COMMENT ON CONSTRAINT people_pkey ON people IS 'the key';
COMMENT ON INDEX people_pkey IS 'its index';
CREATE VIEW people_names AS SELECT name FROM people;
COMMENT ON VIEW people_names IS 'names only';
COMMENT ON COLUMN people_names.name IS 'as in people';`,
  },
  {
    name: 'sequences: unlogged, options, owned by',
    minServerVersion: 150000,
    sql: `
CREATE UNLOGGED SEQUENCE tickets START 1000 INCREMENT 7 MAXVALUE 100000 CYCLE CACHE 3;
CREATE SEQUENCE small_ids AS smallint;
CREATE TABLE holders (id int DEFAULT nextval('small_ids'));
ALTER SEQUENCE small_ids OWNED BY holders.id;
SELECT setval('tickets', 1041);`,
  },
  {
    name: 'inheritance child with a column added to the parent later',
    sql: `
CREATE TABLE parent (a int, b text CHECK (b <> ''));
CREATE TABLE child (c int NOT NULL) INHERITS (parent);
ALTER TABLE parent ADD COLUMN d date;
CREATE TABLE other_parent (e int);
CREATE TABLE multi (f int) INHERITS (parent, other_parent);
ALTER TABLE child ALTER COLUMN a SET DEFAULT 5;
INSERT INTO child VALUES (1, 'x', 2, '2024-01-01');`,
  },
  {
    name: 'partition with its own column order',
    sql: `
CREATE TABLE measurements (id int, at date, v text, dropped int) PARTITION BY RANGE (at);
ALTER TABLE measurements DROP COLUMN dropped;
CREATE TABLE measurements_2024 (v text, id int, at date);
ALTER TABLE measurements ATTACH PARTITION measurements_2024 FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE measurements_2025 PARTITION OF measurements FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
INSERT INTO measurements VALUES (1, '2024-05-01', 'a'), (2, '2025-05-01', 'b');`,
  },
  {
    name: 'zero-column table with rows',
    sql: `
CREATE TABLE nothing_here ();
INSERT INTO nothing_here DEFAULT VALUES;
INSERT INTO nothing_here DEFAULT VALUES;
INSERT INTO nothing_here DEFAULT VALUES;`,
  },
  {
    name: 'partitioned table with primary key, index and foreign keys',
    sql: `
CREATE TABLE customers (id int PRIMARY KEY);
CREATE TABLE orders (id int, placed date, customer int REFERENCES customers, PRIMARY KEY (id, placed)) PARTITION BY RANGE (placed);
CREATE INDEX orders_customer ON orders (customer);
CREATE TABLE orders_2024 PARTITION OF orders FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE orders_2025 PARTITION OF orders FOR VALUES FROM ('2025-01-01') TO ('2026-01-01') PARTITION BY RANGE (id);
CREATE TABLE orders_2025_low PARTITION OF orders_2025 FOR VALUES FROM (MINVALUE) TO (1000);
CREATE TABLE orders_default PARTITION OF orders DEFAULT;
CREATE INDEX orders_2024_extra ON orders_2024 (placed);
CREATE TABLE shipments (order_id int, placed date, FOREIGN KEY (order_id, placed) REFERENCES orders ON DELETE CASCADE);`,
  },
  {
    name: 'identity columns',
    sql: `
CREATE TABLE tickets (
  id int GENERATED ALWAYS AS IDENTITY (START WITH 100 INCREMENT BY 5),
  ref bigint GENERATED BY DEFAULT AS IDENTITY,
  note text);
INSERT INTO tickets (note) VALUES ('a'), ('b');`,
  },
  {
    name: 'generated columns',
    sql: `
CREATE FUNCTION area_of(numeric, numeric) RETURNS numeric LANGUAGE sql IMMUTABLE AS 'SELECT $1 * $2';
CREATE TABLE rectangles (w numeric, h numeric, area numeric GENERATED ALWAYS AS (w * h) STORED, area2 numeric GENERATED ALWAYS AS (area_of(w, h)) STORED);`,
  },
  {
    name: 'triggers, one disabled',
    sql: `
CREATE TABLE touched (a int, at timestamptz, n int);
CREATE FUNCTION stamp() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.at := now(); RETURN NEW; END $$;
CREATE FUNCTION count_rows() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;
CREATE TRIGGER touched_stamp BEFORE INSERT ON touched FOR EACH ROW EXECUTE FUNCTION stamp();
CREATE TRIGGER touched_update BEFORE UPDATE OF a ON touched FOR EACH ROW WHEN (OLD.a IS DISTINCT FROM NEW.a) EXECUTE FUNCTION stamp();
ALTER TABLE touched DISABLE TRIGGER touched_update;
CREATE TRIGGER touched_replica BEFORE DELETE ON touched FOR EACH ROW EXECUTE FUNCTION stamp();
ALTER TABLE touched ENABLE REPLICA TRIGGER touched_replica;
CREATE TRIGGER touched_batch AFTER INSERT ON touched REFERENCING NEW TABLE AS fresh FOR EACH STATEMENT EXECUTE FUNCTION count_rows();
CREATE CONSTRAINT TRIGGER touched_deferred AFTER INSERT ON touched DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION count_rows();
COMMENT ON TRIGGER touched_stamp ON touched IS 'stamps rows';`,
  },
  {
    name: 'row level security policies',
    sql: `
CREATE TABLE documents (id int, owner name DEFAULT current_user, body text);
ALTER TABLE documents ENABLE ROW LEVEL SECURITY;
ALTER TABLE documents FORCE ROW LEVEL SECURITY;
CREATE POLICY own_rows ON documents USING (owner = current_user);
CREATE POLICY positive_ids ON documents AS RESTRICTIVE FOR INSERT WITH CHECK (id > 0);
CREATE TABLE open_table (id int);
ALTER TABLE open_table ENABLE ROW LEVEL SECURITY;
COMMENT ON POLICY own_rows ON documents IS 'only yours';`,
  },
  {
    name: 'foreign data wrapper, server and foreign table',
    sql: `
CREATE FOREIGN DATA WRAPPER plain_wrapper OPTIONS (debug 'true');
CREATE SERVER remote FOREIGN DATA WRAPPER plain_wrapper OPTIONS (host 'db.example', port '5432');
CREATE USER MAPPING FOR CURRENT_USER SERVER remote OPTIONS (user 'reader', password 'not-a-real-secret');
CREATE USER MAPPING FOR PUBLIC SERVER remote;
CREATE FOREIGN TABLE remote_items (id int OPTIONS (column_name 'item_id') NOT NULL, name text DEFAULT 'x', CHECK (id > 0)) SERVER remote OPTIONS (table_name 'items');
COMMENT ON SERVER remote IS 'somewhere else';`,
  },
  {
    name: 'default privileges',
    sql: `
CREATE SCHEMA reporting;
ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO PUBLIC;
ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;
ALTER DEFAULT PRIVILEGES IN SCHEMA reporting GRANT USAGE ON SEQUENCES TO PUBLIC;`,
  },
  {
    name: 'extension member types used by a table',
    needs: 'extension:citext',
    sql: `
CREATE SCHEMA ext;
CREATE EXTENSION citext WITH SCHEMA ext;
CREATE TABLE logins (name ext.citext PRIMARY KEY);`,
  },
];

/** Every case: one per object kind and trap, then the real sample databases. */
export const fidelityCases: FidelityCase[] = [...kindCases, ...corpusCases];
