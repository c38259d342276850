#!/usr/bin/env bash
# bench/backup.sh — pgferry backup/restore against pg_dump/pg_restore, side by side.
#
# Usage: bench/backup.sh [SCALE]          (default SCALE=0.2; 1 = ~1 GB of bench data)
#   env RUNS=3                            runs per variant; the median is reported
#   env BENCH_BASE_URL=postgres://postgres@127.0.0.1:5432
#   env ONLY="dump-fc native-2-gzip"      run only these variants (names as in the table)
#
# Builds the standard dataset (../shared/bench/make-dataset.sh, schema `bench`) in database
# pgferry_bench_bk_src, then measures wall time, archive size and peak RSS (largest process,
# /usr/bin/time -v) of:
#   dump-fc             pg_dump -Fc (default gzip level)
#   dump-fd-2           pg_dump -Fd -j2
#   native-1-gzip       pgferry backup --jobs 1 --compress gzip
#   native-2-gzip       pgferry backup --jobs 2 --compress gzip
#   native-1-zstd       pgferry backup --jobs 1 --compress zstd
#   native-2-zstd       pgferry backup --jobs 2 --compress zstd
#   pg_restore-2        CREATE DATABASE + pg_restore -j2 of the -Fc archive into it
#   restore-2           pgferry restore --jobs 2 --create of the native gzip archive
# Both restores time the creation of the new database, like for like.
# Only the bench databases (pgferry_bench_bk_*) and a temporary directory are touched.
set -euo pipefail

SCALE=${1:-0.2}
RUNS=${RUNS:-3}
BASE=${BENCH_BASE_URL:-postgres://postgres@127.0.0.1:5432}
ONLY=${ONLY:-}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
MAKE_DATASET=${MAKE_DATASET:-$ROOT/../shared/bench/make-dataset.sh}
SRC_DB=pgferry_bench_bk_src
DST_DB=pgferry_bench_bk_dst
SRC="$BASE/$SRC_DB"
DST="$BASE/$DST_DB"
MAINT="$BASE/postgres"
PSQL=(psql -X -q -v ON_ERROR_STOP=1)

WORK=$(mktemp -d /tmp/pgferry-bench-backup.XXXXXX)
trap 'rm -rf "$WORK"; psql -X -q -d "$MAINT" -c "DROP DATABASE IF EXISTS $DST_DB WITH (FORCE)" >/dev/null 2>&1 || true' EXIT
mkdir -p "$WORK/results" "$WORK/archives"
export PGFERRY_HOME="$WORK/home" LOG_LEVEL=warn

log() { printf '%s  %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
wanted() { [[ -z $ONLY || " $ONLY " == *" $1 "* ]]; }

for tool in psql pg_dump pg_restore node; do
  command -v "$tool" >/dev/null || { echo "bench/backup.sh needs $tool" >&2; exit 2; }
done
[[ -x /usr/bin/time ]] || { echo "bench/backup.sh needs GNU time at /usr/bin/time (apt-get install time)" >&2; exit 2; }
[[ -x $MAKE_DATASET ]] || { echo "dataset script not found: $MAKE_DATASET" >&2; exit 2; }

drop_dst() { "${PSQL[@]}" -d "$MAINT" -c "DROP DATABASE IF EXISTS $DST_DB WITH (FORCE)" 2>/dev/null; }

# measure NAME DIR COMMAND: runs COMMAND under /usr/bin/time -v; appends "wall_s rss_kb bytes" to
# results/NAME (bytes = size of DIR afterwards, 0 when DIR is "-").
measure() {
  local name=$1 dir=$2 command=$3 start end rss bytes=0
  start=$(date +%s.%N)
  if ! /usr/bin/time -v -o "$WORK/time.txt" bash -c "set -euo pipefail; $command" >"$WORK/out.txt" 2>"$WORK/err.txt"; then
    log "$name failed:"; tail -n 20 "$WORK/err.txt" >&2
    return 1
  fi
  end=$(date +%s.%N)
  rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$WORK/time.txt")
  [[ $dir != - ]] && bytes=$(du -sb "$dir" | awk '{print $1}')
  echo "$(awk -v a="$start" -v b="$end" 'BEGIN {printf "%.3f", b - a}') $rss $bytes" >>"$WORK/results/$name"
}

# engine_time NAME FIELD: the run's own duration from pgferry's --json output (wall time minus
# process start-up, which is several seconds when the machine is loaded).
engine_time() {
  node -e 'const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); console.log((r[process.argv[2]] / 1000).toFixed(3))' \
    "$WORK/out.txt" "$2" >>"$WORK/results/$1-engine" 2>/dev/null || true
}

log "building the dataset at SCALE=$SCALE in $SRC_DB"
"$MAKE_DATASET" "$SRC" "$SCALE" | tail -n 1 >&2
PGFERRY=(node "$ROOT/bin/pgferry.js")

for run in $(seq 1 "$RUNS"); do
  log "run $run of $RUNS"
  if wanted dump-fc; then
    rm -f "$WORK/archives/dump.fc"; mkdir -p "$WORK/archives/fc"
    measure dump-fc "$WORK/archives/fc" "pg_dump -Fc -d '$SRC' -f '$WORK/archives/fc/dump.fc'" || true
  fi
  if wanted dump-fd-2; then
    rm -rf "$WORK/archives/fd"
    measure dump-fd-2 "$WORK/archives/fd" "pg_dump -Fd -j2 -d '$SRC' -f '$WORK/archives/fd'" || true
  fi
  for compress in gzip zstd; do
    for jobs in 1 2; do
      name="native-$jobs-$compress"
      wanted "$name" || continue
      rm -rf "$WORK/archives/$name"
      measure "$name" "$WORK/archives/$name" "${PGFERRY[*]} backup --from '$SRC' --to '$WORK/archives' --name '$name' --schemas bench --jobs $jobs --compress $compress --json" && engine_time "$name" duration_ms || true
    done
  done
  if wanted pg_restore-2 && [[ -s $WORK/archives/fc/dump.fc ]]; then
    drop_dst
    measure pg_restore-2 - "${PSQL[*]} -d '$MAINT' -c 'CREATE DATABASE $DST_DB' && pg_restore -j2 --no-owner --no-acl -d '$DST' '$WORK/archives/fc/dump.fc'" || true
  fi
  if wanted restore-2 && [[ -d $WORK/archives/native-2-gzip ]]; then
    drop_dst
    measure restore-2 - "${PGFERRY[*]} restore '$WORK/archives/native-2-gzip' --to '$DST' --create --jobs 2 --json" && engine_time restore-2 durationMs || true
  fi
done

median() { sort -n | awk '{v[NR] = $1} END {if (NR == 0) {print ""} else if (NR % 2) {print v[(NR + 1) / 2]} else {printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2}}'; }
printf '\nbench/backup.sh SCALE=%s RUNS=%s (PostgreSQL %s, pg_dump %s, node %s)\n' "$SCALE" "$RUNS" \
  "$(psql -X -At -d "$MAINT" -c 'SHOW server_version')" "$(pg_dump --version | awk '{print $3}')" "$(node --version)"
printf '%-15s %10s %10s %12s %12s\n' variant "median s" "engine s" "archive MB" "peak RSS MB"
for name in dump-fc dump-fd-2 native-1-gzip native-2-gzip native-1-zstd native-2-zstd pg_restore-2 restore-2; do
  file="$WORK/results/$name"
  [[ -s $file ]] || continue
  wall=$(awk '{print $1}' "$file" | median)
  rss=$(awk '{print $2}' "$file" | median)
  bytes=$(awk '{print $3}' "$file" | median)
  engine=-
  [[ -s $WORK/results/$name-engine ]] && engine=$(median <"$WORK/results/$name-engine")
  printf '%-15s %10s %10s %12s %12s\n' "$name" "$wall" "$engine" "$(awk -v b="$bytes" 'BEGIN {if (b > 0) printf "%.1f", b / 1048576; else printf "-"}')" "$(awk -v r="$rss" 'BEGIN {printf "%.0f", r / 1024}')"
done
