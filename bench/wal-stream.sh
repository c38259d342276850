#!/usr/bin/env bash
# bench/wal-stream.sh — WAL streaming under a steady insert load (issue 17): segments/s uploaded
# and the stream's lag in bytes and seconds, on a throw-away embedded PostgreSQL 17.
#
# Usage: bench/wal-stream.sh
#   env SECONDS_RUN=30   length of the load
#   env CLIENTS=2        inserting sessions (500 rows of ~250 bytes per statement)
#   env COMPRESS=gzip    gzip, zstd or none
# Prints figures; asserts nothing. Target (issue 17): lag under 5 s at the load the machine sustains.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
exec npx tsx bench/wal-stream-bench.ts
