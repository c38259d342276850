#!/usr/bin/env bash
# bench/sync.sh — pgferry sync and diff against the usual ways of copying a PostgreSQL schema.
#
# Usage: bench/sync.sh [SCALE]            (default SCALE=0.2; 1 = ~1 GB of bench data)
#   env RUNS=3                            runs per variant; the median is reported
#   env BENCH_BASE_URL=postgres://postgres@127.0.0.1:5432   server for both databases
#   env ONLY="psql pgferry-1"             run only these variants (names as in the table)
#
# Builds the standard dataset (../shared/bench/make-dataset.sh, schema `bench`) in database
# pgferry_bench_src, then copies it into pgferry_bench_dst (recreated before each run) with:
#   psql           COPY … TO STDOUT | COPY … FROM STDIN per table, one at a time — the data
#                  phase only (tables pre-created without indexes): the floor for --jobs 1
#   pgcopydb       `pgcopydb clone --table-jobs 2 --index-jobs 2` end to end. Needs the Debian
#                  package `pgcopydb`; installed here with `apt-get install -y pgcopydb` when
#                  missing and running as root, else skipped.
#   pg_dump        `pg_dump -Fc -Z0 | pg_restore` end to end (no compression: it is a pipe)
#   pgferry-1/-2   `pgferry sync --jobs 1|2` end to end (schema, data, indexes, FKs)
#   incremental    `pgferry sync --mode incremental --cursor updated_at` after 1 % of the rows
#                  of every table changed (an `updated_at` column is added to the source first)
#   diff           `pgferry diff` of two identical databases: wall time and bytes transferred
# and prints median wall time, MB/s (heap+TOAST bytes of the bench tables / wall time) and
# peak RSS (largest process, from /usr/bin/time -v) side by side. Nothing else is touched:
# only the two bench databases are dropped and created.
set -euo pipefail

SCALE=${1:-0.2}
RUNS=${RUNS:-3}
BASE=${BENCH_BASE_URL:-postgres://postgres@127.0.0.1:5432}
ONLY=${ONLY:-}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
MAKE_DATASET=${MAKE_DATASET:-$ROOT/../shared/bench/make-dataset.sh}
SRC_DB=pgferry_bench_src
DST_DB=pgferry_bench_dst
SRC="$BASE/$SRC_DB"
DST="$BASE/$DST_DB"
MAINT="$BASE/postgres"
PGFERRY=(node "$ROOT/bin/pgferry.js")
TABLES=(events narrow blobs customers orders)
PSQL=(psql -X -q -v ON_ERROR_STOP=1)

WORK=$(mktemp -d /tmp/pgferry-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/results"
export PGFERRY_HOME="$WORK/home" LOG_LEVEL=warn

log() { printf '%s  %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
wanted() { [[ -z $ONLY || " $ONLY " == *" $1 "* ]]; }

for tool in psql pg_dump pg_restore node; do
  command -v "$tool" >/dev/null || { echo "bench/sync.sh needs $tool" >&2; exit 2; }
done
[[ -x /usr/bin/time ]] || { echo "bench/sync.sh needs GNU time at /usr/bin/time (apt-get install time)" >&2; exit 2; }
[[ -x $MAKE_DATASET ]] || { echo "dataset script not found: $MAKE_DATASET" >&2; exit 2; }
if ! command -v pgcopydb >/dev/null && [[ $(id -u) == 0 ]] && wanted pgcopydb; then
  log "pgcopydb missing: installing the Debian package (apt-get install -y pgcopydb)"
  apt-get install -y pgcopydb >"$WORK/apt.log" 2>&1 || log "apt-get install pgcopydb failed; pgcopydb is skipped"
fi
HAVE_SYNC=0
"${PGFERRY[@]}" --help 2>/dev/null | grep -qE "^  sync( |$)" && HAVE_SYNC=1

recreate_dst() {
  "${PSQL[@]}" -d "$MAINT" -c "DROP DATABASE IF EXISTS $DST_DB WITH (FORCE)" -c "CREATE DATABASE $DST_DB" 2>/dev/null
}

# measure NAME COMMAND: runs COMMAND under /usr/bin/time -v; appends "wall_s rss_kb" to results/NAME.
measure() {
  local name=$1 command=$2
  local start end
  start=$(date +%s.%N)
  if ! /usr/bin/time -v -o "$WORK/time.txt" bash -c "set -euo pipefail; $command" >"$WORK/out.txt" 2>"$WORK/err.txt"; then
    log "$name failed:"; tail -n 20 "$WORK/err.txt" >&2; tail -n 5 "$WORK/out.txt" >&2
    echo "failed" >>"$WORK/results/$name"
    return 1
  fi
  end=$(date +%s.%N)
  local rss
  rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$WORK/time.txt")
  awk -v a="$start" -v b="$end" -v r="$rss" 'BEGIN{printf "%.3f %d\n", b - a, r}' >>"$WORK/results/$name"
  log "$name: $(tail -n 1 "$WORK/results/$name")"
}

# ------------------------------------------------------------------------------ dataset
log "building the dataset at SCALE=$SCALE in $SRC_DB"
"$MAKE_DATASET" "$SRC" "$SCALE" >"$WORK/dataset.txt"
DATA_BYTES=$("${PSQL[@]}" -tA -d "$SRC" -c "SELECT sum(pg_table_size(c.oid)) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'bench' AND c.relkind = 'r'")
ROWS=$("${PSQL[@]}" -tA -d "$SRC" -c "SELECT (SELECT count(*) FROM bench.events) + (SELECT count(*) FROM bench.narrow) + (SELECT count(*) FROM bench.blobs) + (SELECT count(*) FROM bench.customers) + (SELECT count(*) FROM bench.orders)")
log "bench data: $ROWS rows, $DATA_BYTES bytes heap+TOAST"

copy_pipe_command() {
  local command="" table
  for table in "${TABLES[@]}"; do
    command+="psql -X -q -d '$SRC' -c 'COPY bench.$table TO STDOUT' | psql -X -q -v ON_ERROR_STOP=1 -d '$DST' -c 'COPY bench.$table FROM STDIN'; "
  done
  printf '%s' "$command"
}

for run in $(seq 1 "$RUNS"); do
  log "run $run of $RUNS"
  if wanted psql; then
    recreate_dst
    pg_dump --schema-only --section=pre-data -d "$SRC" | "${PSQL[@]}" -d "$DST" >/dev/null
    measure psql "$(copy_pipe_command)" || true
  fi
  if wanted pgcopydb && command -v pgcopydb >/dev/null; then
    recreate_dst
    rm -rf "$WORK/pgcopydb"
    measure pgcopydb "pgcopydb clone --source '$SRC' --target '$DST' --table-jobs 2 --index-jobs 2 --no-owner --no-acl --dir '$WORK/pgcopydb'" || true
  fi
  if wanted pg_dump; then
    recreate_dst
    measure pg_dump "pg_dump -Fc -Z0 -d '$SRC' | pg_restore --no-owner -d '$DST'" || true
  fi
  if [[ $HAVE_SYNC == 1 ]]; then
    for jobs in 1 2; do
      wanted "pgferry-$jobs" || continue
      recreate_dst
      measure "pgferry-$jobs" "node '$ROOT/bin/pgferry.js' sync --from '$SRC' --to '$DST' --schemas bench --jobs $jobs --yes --json > '$WORK/sync-$jobs.json'" || true
      # Data phase of --jobs 1: tables run one after another, so it is the sum of their times.
      [[ $jobs == 1 && -s $WORK/sync-1.json ]] && node -e '
        const lines = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n");
        let result; for (const line of lines) { try { const v = JSON.parse(line); if (v.tables && v.totals) result = v; else if (v.result && v.result.totals) result = v.result; } catch {} }
        if (!result) { try { result = JSON.parse(lines.join("\n")); result = result.result ?? result; } catch {} }
        if (result && result.tables) console.log((result.tables.reduce((s, t) => s + (t.loadMs ?? t.durationMs ?? 0), 0) / 1000).toFixed(3));' \
        "$WORK/sync-1.json" >>"$WORK/results/pgferry-1-data" 2>/dev/null || true
    done
  fi
done

# ------------------------------------------------------------------------------ diff
if wanted diff; then
  log "diff: making the destination identical (pg_dump | pg_restore, not timed)"
  recreate_dst
  pg_dump -Fc -Z0 -d "$SRC" | pg_restore --no-owner -d "$DST"
  for run in $(seq 1 "$RUNS"); do
    measure diff "node '$ROOT/bin/pgferry.js' diff --from '$SRC' --to '$DST' --schemas bench --json > '$WORK/diff.json' || [ \$? = 20 ]" || true
    node -e 'const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); console.log(r.bytesTransferred, r.equal)' "$WORK/diff.json" >>"$WORK/results/diff-bytes"
  done
fi

# ------------------------------------------------------------------------------ incremental
if [[ $HAVE_SYNC == 1 ]] && wanted incremental; then
  log "incremental: adding updated_at to the source tables and loading a first full copy (not timed)"
  for table in "${TABLES[@]}"; do
    # A volatile default gives every existing row its own timestamp, as a real cursor column
    # has; all rows sharing one value would all tie with the high-water mark (rows >= mark
    # are re-read, so that rows committed at the mark are never missed). Indexed, as a
    # cursor column should be.
    "${PSQL[@]}" -d "$SRC" -c "ALTER TABLE bench.$table ADD COLUMN IF NOT EXISTS updated_at timestamptz NOT NULL DEFAULT clock_timestamp()" \
      -c "CREATE INDEX IF NOT EXISTS ${table}_updated_at_idx ON bench.$table (updated_at)"
  done
  recreate_dst
  node "$ROOT/bin/pgferry.js" sync --from "$SRC" --to "$DST" --schemas bench --mode incremental --cursor updated_at --jobs 2 --yes --json >"$WORK/incremental-initial.json"
  for run in $(seq 1 "$RUNS"); do
    for table in "${TABLES[@]}"; do
      "${PSQL[@]}" -d "$SRC" -c "UPDATE bench.$table SET updated_at = clock_timestamp() WHERE id % 100 = $run"
    done
    measure incremental "node '$ROOT/bin/pgferry.js' sync --from '$SRC' --to '$DST' --schemas bench --mode incremental --cursor updated_at --jobs 2 --yes --json > '$WORK/incremental.json'" || true
  done
  log "incremental: checking the destination equals the source with pgferry diff"
  node "$ROOT/bin/pgferry.js" diff --from "$SRC" --to "$DST" --schemas bench >"$WORK/incremental-diff.txt" && log "incremental result verified equal" ||
    { log "incremental result differs from the source:"; tail -n 20 "$WORK/incremental-diff.txt" >&2; }
  # Put the dataset back as make-dataset.sh built it.
  for table in "${TABLES[@]}"; do "${PSQL[@]}" -d "$SRC" -c "ALTER TABLE bench.$table DROP COLUMN updated_at"; done
fi

# ------------------------------------------------------------------------------ report
median() { sort -n | awk '{v[NR] = $1} END {if (NR == 0) {print ""} else if (NR % 2) {print v[(NR + 1) / 2]} else {printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2}}'; }

echo
echo "pgferry sync benchmark — SCALE=$SCALE, $RUNS run(s) per variant, $(nproc) cores, PostgreSQL $("${PSQL[@]}" -tA -d "$SRC" -c 'SHOW server_version')"
echo "bench data: $ROWS rows, $(awk -v b="$DATA_BYTES" 'BEGIN{printf "%.1f MB", b / 1e6}') heap+TOAST (indexes excluded)"
printf '%-13s %-58s %10s %9s %10s\n' variant what "median s" "MB/s" "peak RSS"
describe() {
  case $1 in
    psql) echo 'psql COPY pipe, one table at a time (data phase only)' ;;
    pgcopydb) echo 'pgcopydb clone --table-jobs 2 --index-jobs 2' ;;
    pg_dump) echo 'pg_dump -Fc -Z0 | pg_restore' ;;
    pgferry-1) echo 'pgferry sync --jobs 1 (end to end)' ;;
    pgferry-2) echo 'pgferry sync --jobs 2 (end to end)' ;;
    incremental) echo 'pgferry sync incremental, 1 % of rows changed' ;;
    diff) echo 'pgferry diff of identical databases' ;;
  esac
}
for name in psql pgcopydb pg_dump pgferry-1 pgferry-2 incremental diff; do
  file="$WORK/results/$name"
  if [[ ! -s $file ]]; then
    printf '%-13s %-58s %10s\n' "$name" "$(describe "$name")" "not run"
    continue
  fi
  if grep -q failed "$file"; then
    printf '%-13s %-58s %10s\n' "$name" "$(describe "$name")" "FAILED"
    continue
  fi
  wall=$(awk '{print $1}' "$file" | median)
  rss=$(awk '{print $2}' "$file" | median)
  printf '%-13s %-58s %10.2f %9.1f %7.0f MB\n' "$name" "$(describe "$name")" "$wall" \
    "$(awk -v b="$DATA_BYTES" -v s="$wall" 'BEGIN{print b / 1e6 / s}')" "$(awk -v r="$rss" 'BEGIN{print r / 1024}')"
done
if [[ -s $WORK/results/pgferry-1-data ]]; then
  data=$(median <"$WORK/results/pgferry-1-data")
  pipe=$(awk '{print $1}' "$WORK/results/psql" 2>/dev/null | median)
  echo "pgferry --jobs 1 data phase (sum of per-table load times, before indexes): ${data} s$([[ -n $pipe ]] && awk -v d="$data" -v p="$pipe" 'BEGIN{printf " = %.2f× the psql pipe", d / p}')"
fi
if [[ -s $WORK/results/diff-bytes ]]; then
  bytes=$(awk '{print $1}' "$WORK/results/diff-bytes" | median)
  echo "diff of identical databases: $bytes bytes transferred = $(awk -v b="$bytes" -v d="$DATA_BYTES" 'BEGIN{printf "%.4f", 100 * b / d}') % of the data; equal: $(awk '{print $2}' "$WORK/results/diff-bytes" | sort -u | tr '\n' ' ')"
fi
if [[ -s $WORK/results/incremental && -s $WORK/results/pgferry-2 ]]; then
  echo "incremental / full (--jobs 2): $(awk -v i="$(awk '{print $1}' "$WORK/results/incremental" | median)" -v f="$(awk '{print $1}' "$WORK/results/pgferry-2" | median)" 'BEGIN{printf "%.1f %%", 100 * i / f}')"
fi
[[ $HAVE_SYNC == 1 ]] || echo "pgferry sync is not available in this checkout: the pgferry-1, pgferry-2 and incremental rows were not run"
