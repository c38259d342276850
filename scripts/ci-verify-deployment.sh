#!/usr/bin/env bash
# Starts a real `pgferry serve` on a throw-away store and runs scripts/verify-deployment.sh
# against it (health, ready, connections, sync run, backup run, verify, download, restore,
# metrics).
# Needs PostgreSQL with trust auth for user postgres: PGFERRY_TEST_DATABASE_URL or 127.0.0.1:5432.
set -euo pipefail
cd "$(dirname "$0")/.."

PG=${PGFERRY_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}
PG=${PG%/*}
dbs=(pgferry_ci_store pgferry_ci_src pgferry_ci_dst pgferry_ci_restore)
work=$(mktemp -d)
serve_pid=""
cleanup() {
  [ -n "$serve_pid" ] && kill "$serve_pid" 2>/dev/null && wait "$serve_pid" 2>/dev/null
  for db in "${dbs[@]}"; do psql "$PG/postgres" -X -q -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" || true; done
  rm -rf "$work"
}
trap cleanup EXIT

for db in "${dbs[@]}"; do
  psql "$PG/postgres" -X -q -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
done
psql "$PG/pgferry_ci_src" -X -q -v ON_ERROR_STOP=1 -f fixtures/customer_service.sql >/dev/null

export DATABASE_URL="$PG/pgferry_ci_store" PGFERRY_ENCRYPTION_KEY="$(openssl rand -hex 32)" LOG_LEVEL=warn
node bin/pgferry.js db upgrade >/dev/null
node bin/pgferry.js users create ci-admin --admin --generate-password --json >/dev/null
token=$(node bin/pgferry.js tokens create --name ci --role admin --user ci-admin --json | jq -r .token)

port=${PGFERRY_CI_PORT:-7999}
PORT=$port node bin/pgferry.js serve >"$work/serve.log" 2>&1 &
serve_pid=$!
for _ in $(seq 1 90); do curl -fsS "http://127.0.0.1:$port/ready" >/dev/null 2>&1 && break; sleep 1; done

VERIFY_SOURCE_URL="$PG/pgferry_ci_src" VERIFY_DEST_URL="$PG/pgferry_ci_dst" VERIFY_RESTORE_URL="$PG/pgferry_ci_restore" VERIFY_STORAGE_DIR="$work/storage" \
  scripts/verify-deployment.sh "http://127.0.0.1:$port" "$token" || { cat "$work/serve.log" >&2; exit 1; }
