#!/usr/bin/env bash
# bench/follow.sh — continuous-sync apply throughput and lag under a steady load (figures
# printed, nothing asserted). See bench/follow-bench.ts for what is measured.
# Usage: bench/follow.sh            env TXNS=20000 RATE=300|auto LOAD_SECONDS=30 CLIENTS=4 PER_CALL=10 BATCH=5000
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
exec npx tsx bench/follow-bench.ts
