#!/usr/bin/env bash
# bench/physical.sh — physical base backup (BASE_BACKUP through the replication protocol)
# and restore --to-dir of a throw-away PostgreSQL 17 cluster, per compression.
#
# Usage: bench/physical.sh                (env SIZE_MB=100, COMPRESSIONS="gzip zstd none")
# Prints wall time, stored size and peak RSS (GNU time) of each `pgferry` subprocess.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
[[ -x /usr/bin/time ]] || { echo "bench/physical.sh needs GNU time at /usr/bin/time (apt-get install time)" >&2; exit 2; }
cd "$ROOT"
exec npx tsx bench/physical-backup-bench.ts
