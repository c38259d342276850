#!/usr/bin/env bash
# bench/scheduler.sh — scheduling across worker processes, and the runs API under load.
#
# Usage: bench/scheduler.sh
#   env BENCH_BASE_URL=postgres://postgres@127.0.0.1:5432   server for the throw-away store
#   env JOBS=500 WORKERS=4 CONCURRENCY=16 SECONDS_RUN=30 CRON='*/5 * * * * *'   scheduler part
#   env RUNS=100000 RATE=100 API_SECONDS=15                     API part
#   env ONLY=scheduler|api                                       one part only
#
# Creates database pgferry_bench_scheduler (dropped first), migrates it with `pgferry db
# upgrade`, then runs bench/scheduler-bench.ts, which prints:
#   scheduler: tick-to-start latency p50/p99/max (scheduled_for → started_at), runs,
#              duplicate runs per tick and double executions (both must be 0), skipped ticks
#   api:       GET /api/v1/runs?limit=50 latency p50/p99/max at RATE requests/s from a
#              load generator on loopback, against `pgferry serve --no-worker`
# The workers are the real JobWorker (scheduler, SKIP LOCKED claims, heartbeats) with a
# 50 ms stand-in engine (test/jobs/fixtures/sleep-worker.ts), so the figures measure the
# scheduling machinery, not a sync.
set -euo pipefail

BASE=${BENCH_BASE_URL:-postgres://postgres@127.0.0.1:5432}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DB=pgferry_bench_scheduler
PSQL=(psql -X -q -v ON_ERROR_STOP=1)

"${PSQL[@]}" "$BASE/postgres" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
export STORE_URL="$BASE/$DB"
DATABASE_URL="$STORE_URL" PGFERRY_ENCRYPTION_KEY=$(openssl rand -hex 32) LOG_LEVEL=warn node "$ROOT/bin/pgferry.js" db upgrade >/dev/null
cd "$ROOT"
node --import tsx bench/scheduler-bench.ts
