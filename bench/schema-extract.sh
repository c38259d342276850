#!/usr/bin/env bash
# bench/schema-extract.sh — how long the schema layer takes to read and order a large schema.
#
# Usage: bench/schema-extract.sh [TABLES]      (default 1000 tables)
#   env BENCH_BASE_URL=postgres://postgres@127.0.0.1:5432   server for the throw-away database
#   env RUNS=3                                               timed runs (median printed)
#   env KEEP=1                                               keep the database afterwards
#
# Creates database pgferry_bench_schema (dropped first) with TABLES tables in 10 schemas and
# five other objects per table — a serial sequence, an index, a foreign key to the previous
# table, a view and a trigger on a shared function, plus a comment — then prints the time of
# readSchemaGraph (catalog → objects with pg_depend edges) and sortObjects (creation order),
# each the median of RUNS runs. Target (issue 13): under 2 s for 1,000 tables and 5,000 objects.
set -euo pipefail

TABLES=${1:-1000}
BASE=${BENCH_BASE_URL:-postgres://postgres@127.0.0.1:5432}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DB=pgferry_bench_schema
PSQL=(psql -X -q -v ON_ERROR_STOP=1)

"${PSQL[@]}" "$BASE/postgres" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
"${PSQL[@]}" "$BASE/$DB" <<SQL
CREATE FUNCTION public.touch() RETURNS trigger LANGUAGE plpgsql AS \$\$ BEGIN RETURN NEW; END \$\$;
DO \$\$
DECLARE i int; s text;
BEGIN
  FOR i IN 0..9 LOOP EXECUTE format('CREATE SCHEMA s%s', i); END LOOP;
  FOR i IN 1..$TABLES LOOP
    s := 's' || (i % 10);
    EXECUTE format('CREATE TABLE %I.t%s (id serial PRIMARY KEY, parent int, name text NOT NULL, at timestamptz DEFAULT now())', s, i);
    EXECUTE format('CREATE INDEX ON %I.t%s (name)', s, i);
    IF i > 1 THEN EXECUTE format('ALTER TABLE %I.t%s ADD FOREIGN KEY (parent) REFERENCES %I.t%s', s, i, 's' || ((i - 1) % 10), i - 1); END IF;
    EXECUTE format('CREATE VIEW %I.v%s AS SELECT id, name FROM %I.t%s', s, i, s, i);
    EXECUTE format('CREATE TRIGGER touch BEFORE UPDATE ON %I.t%s FOR EACH ROW EXECUTE FUNCTION public.touch()', s, i);
    EXECUTE format('COMMENT ON TABLE %I.t%s IS %L', s, i, 'table ' || i);
  END LOOP;
END \$\$;
SQL
cd "$ROOT"
BENCH_URL="$BASE/$DB" RUNS=${RUNS:-3} node --import tsx bench/schema-extract-bench.ts
[ "${KEEP:-}" = 1 ] || "${PSQL[@]}" "$BASE/postgres" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)"
