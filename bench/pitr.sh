#!/usr/bin/env bash
# bench/pitr.sh — pgferry physical backup, restore and WAL streaming beside pgBackRest (issue 17).
#
# Usage: bench/pitr.sh [SCALE]            (default SCALE=0.1; 1 = ~1 GB of bench data)
#   env COMPRESS=gzip                     gzip (pgBackRest gz) or zstd (pgBackRest zst); level 6 / 3 for both;
#                                         a list ("gzip zstd") runs backup and restore per compression
#                                         on the same dataset (the WAL part uses the first)
#   env LOAD_SECONDS=60                   length of the pgbench write load for the WAL part (0: no WAL part)
#   env BEFORE=DIR                        another pgferry checkout (e.g. main) measured in the same run,
#                                         before pgferry itself, for a before/after comparison
#   env CLIENTS=2                         pgbench clients
#   env PGBIN=/usr/lib/postgresql/15/bin  server binaries (pgBackRest 2.45 from Debian knows PostgreSQL <= 15)
#   env PORT=55439
#   env PGBENCH_SCALE=10                  pgbench -i scale for the write load
#
# Owns a throw-away cluster in a temporary directory (run as the postgres user when root), with
# archive_command = pgbackrest archive-push for the stanza; the machine's main server is not used.
# Builds the standard dataset (../shared/bench/make-dataset.sh) in database `bench`, then:
#   base backup   pgferry backup --format physical --jobs 2   vs pgbackrest backup --type=full process-max=2
#                 (pgBackRest with archive-copy=y so both backups restore alone, like --wal included)
#   restore       pgferry restore --to-dir                    vs pgbackrest restore --pg1-path
#   WAL           pgferry wal stream (slot) and pgBackRest archive-push side by side under pgbench;
#                 per segment, lag = when it appears in storage − when the server moved past it
#                 (sampled every 0.5 s by this script, the same clock for both tools).
# Each step starts with no dirty pages and, as root, an empty page cache (see settle).
# Wall time, stored size, peak RSS of the largest process (/usr/bin/time -v). Asserts nothing.
# Needs pgbackrest (apt-get install pgbackrest), GNU time, psql, pgbench, node.
set -euo pipefail

SCALE=${1:-0.1}
COMPRESS=${COMPRESS:-gzip}
LOAD_SECONDS=${LOAD_SECONDS:-60}
CLIENTS=${CLIENTS:-2}
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
PORT=${PORT:-55439}
PGBENCH_SCALE=${PGBENCH_SCALE:-10}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
MAKE_DATASET=${MAKE_DATASET:-$ROOT/../shared/bench/make-dataset.sh}
read -r -a COMPRESSIONS <<<"$COMPRESS"
br_compress() { case $1 in gzip) echo gz ;; zstd) echo zst ;; esac; }
br_level() { case $1 in gzip) echo 6 ;; zstd) echo 3 ;; esac; }
for c in "${COMPRESSIONS[@]}"; do
  [[ $c == gzip || $c == zstd ]] || { echo "COMPRESS must be gzip and/or zstd, got '$c'" >&2; exit 2; }
done
COMPRESS=${COMPRESSIONS[0]}
BEFORE=${BEFORE:-}
[[ -z $BEFORE || -f $BEFORE/bin/pgferry.js ]] || { echo "BEFORE=$BEFORE holds no bin/pgferry.js" >&2; exit 2; }

log() { printf '%s  %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

if ! command -v pgbackrest >/dev/null; then
  if [[ $(id -u) == 0 ]]; then
    log "installing pgbackrest"; DEBIAN_FRONTEND=noninteractive apt-get install -y -q pgbackrest >/dev/null
  else
    echo "bench/pitr.sh needs pgBackRest: sudo apt-get install pgbackrest" >&2; exit 2
  fi
fi
for tool in psql pgbench node; do
  command -v "$tool" >/dev/null || { echo "bench/pitr.sh needs $tool" >&2; exit 2; }
done
[[ -x /usr/bin/time ]] || { echo "bench/pitr.sh needs GNU time at /usr/bin/time (apt-get install time)" >&2; exit 2; }
[[ -x $PGBIN/postgres ]] || { echo "no PostgreSQL server binaries in $PGBIN (set PGBIN)" >&2; exit 2; }
[[ -x $MAKE_DATASET ]] || { echo "dataset script not found: $MAKE_DATASET" >&2; exit 2; }

# The cluster and pgBackRest run as the postgres OS user when this script runs as root.
as_pg() { if [[ $(id -u) == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }

WORK=$(mktemp -d /tmp/pgferry-bench-pitr.XXXXXX)
chmod 755 "$WORK"
DATA=$WORK/pg
CONF=$WORK/pgbackrest.conf
URL="postgres://postgres@127.0.0.1:$PORT"
PSQL=(psql -X -q -At -v ON_ERROR_STOP=1)
STREAM_PID=
cleanup() {
  [[ -n $STREAM_PID ]] && { pkill -TERM -P "$STREAM_PID" 2>/dev/null; kill "$STREAM_PID" 2>/dev/null; } || true
  as_pg "$PGBIN/pg_ctl" -D "$DATA" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'log "failed at line $LINENO"' ERR
mkdir -p "$WORK/results" "$WORK/pgferry" "$WORK/pgferry-before" "$WORK/restore-pgferry" "$WORK/br-repo" "$WORK/br-log" "$WORK/br-lock" "$WORK/restore-br"
[[ $(id -u) == 0 ]] && chown postgres "$WORK/br-repo" "$WORK/br-log" "$WORK/br-lock" "$WORK/restore-br" "$WORK"
export PGFERRY_HOME="$WORK/home" LOG_LEVEL=warn
PGFERRY=(node "$ROOT/bin/pgferry.js")
PGFERRY_BEFORE=(node "$BEFORE/bin/pgferry.js")

cat >"$CONF" <<EOF
[global]
repo1-path=$WORK/br-repo
log-path=$WORK/br-log
lock-path=$WORK/br-lock
log-level-console=warn
log-level-file=off
compress-type=$(br_compress "$COMPRESS")
compress-level=$(br_level "$COMPRESS")
process-max=2
start-fast=y
archive-copy=y
archive-async=n

[bench]
pg1-path=$DATA
pg1-port=$PORT
pg1-socket-path=$WORK
EOF
BR=(pgbackrest "--config=$CONF" --stanza=bench)

log "initdb ($("$PGBIN/postgres" --version))"
as_pg "$PGBIN/initdb" -D "$DATA" -U postgres --auth=trust -E UTF8 --no-sync >/dev/null
cat >>"$DATA/postgresql.conf" <<EOF
port = $PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '$WORK'
wal_level = replica
max_wal_senders = 10
max_replication_slots = 10
archive_mode = on
archive_command = '${BR[*]} archive-push %p'
shared_buffers = 256MB
max_wal_size = 2GB
fsync = on
EOF
echo "host replication all 127.0.0.1/32 trust" >>"$DATA/pg_hba.conf"
as_pg "$PGBIN/pg_ctl" -D "$DATA" -l "$WORK/server.log" -w start >/dev/null
as_pg "${BR[@]}" stanza-create
as_pg "${BR[@]}" check

log "building the dataset at SCALE=$SCALE"
"$MAKE_DATASET" "$URL/bench" "$SCALE" | tail -n 1 >&2
"${PSQL[@]}" -d "$URL/postgres" -c CHECKPOINT
CLUSTER_MB=$("${PSQL[@]}" -d "$URL/postgres" -c 'SELECT round(sum(pg_database_size(oid)) / 1048576.0) FROM pg_database')

# Every measured step starts from the same state: the previous steps' written data flushed
# (else the next tool pays for their writeback: the last one of a backup/restore round, often
# pgBackRest, ran while ~1.6 GB of earlier restores were still being written), and as root the
# page cache dropped, so each tool reads its input from disk.
settle() {
  sync
  if [[ $(id -u) == 0 ]]; then echo 3 >/proc/sys/vm/drop_caches; fi
}

# measure NAME DIR AS COMMAND...: runs COMMAND under /usr/bin/time -v (as postgres when AS=pg);
# writes "wall_s rss_kb bytes cpu_s" to results/NAME (bytes = size of DIR afterwards, 0 for "-";
# cpu_s = user + system time of the process and the children it waited for, not the server's).
measure() {
  local name=$1 dir=$2 who=$3 start end rss cpu bytes=0
  shift 3
  settle
  start=$(date +%s.%N)
  local runner=(/usr/bin/time -v -o "$WORK/time.txt")
  if [[ $who == pg && $(id -u) == 0 ]]; then runner=(runuser -u postgres -- "${runner[@]}"); fi
  if ! "${runner[@]}" "$@" >"$WORK/out.txt" 2>"$WORK/err.txt"; then
    log "$name failed:"; tail -n 20 "$WORK/err.txt" >&2; return 1
  fi
  end=$(date +%s.%N)
  rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$WORK/time.txt")
  [[ $dir == latest ]] && dir=$(latest_br)
  [[ $dir != - ]] && bytes=$(du -sb "$dir" | awk '{print $1}')
  cpu=$(awk -F': ' '/User time|System time/ {s += $2} END {printf "%.1f", s}' "$WORK/time.txt")
  echo "$(awk -v a="$start" -v b="$end" 'BEGIN {printf "%.2f", b - a}') $rss $bytes $cpu" >"$WORK/results/$name"
}
# time.txt is written by the postgres user when measuring pgBackRest.
[[ $(id -u) == 0 ]] && { touch "$WORK/time.txt"; chown postgres "$WORK/time.txt"; }

# pgBackRest's newest full backup (each compression adds one to the repository).
latest_br() { find "$WORK/br-repo/backup/bench" -maxdepth 1 -name '*F' -type d | sort | tail -n 1; }
for c in "${COMPRESSIONS[@]}"; do
  if [[ -n $BEFORE ]]; then
    log "base backup: pgferry before ($c)"
    measure "before-backup-$c" "$WORK/pgferry-before/base-$c" me "${PGFERRY_BEFORE[@]}" backup --from "$URL/postgres" --to "$WORK/pgferry-before" --name "base-$c" \
      --format physical --wal included --jobs 2 --compress "$c" --json
  fi
  log "base backup: pgferry ($c)"
  measure "pgferry-backup-$c" "$WORK/pgferry/base-$c" me "${PGFERRY[@]}" backup --from "$URL/postgres" --to "$WORK/pgferry" --name "base-$c" \
    --format physical --wal included --jobs 2 --compress "$c" --json
  log "base backup: pgBackRest ($c)"
  measure "pgbackrest-backup-$c" latest pg "${BR[@]}" backup --type=full "--compress-type=$(br_compress "$c")" "--compress-level=$(br_level "$c")"
  if [[ -n $BEFORE ]]; then
    log "restore: pgferry before ($c)"
    measure "before-restore-$c" - me "${PGFERRY_BEFORE[@]}" restore "$WORK/pgferry-before/base-$c" --to-dir "$WORK/restore-pgferry/data"
    rm -rf "$WORK/restore-pgferry/data"
  fi
  log "restore: pgferry ($c)"
  measure "pgferry-restore-$c" - me "${PGFERRY[@]}" restore "$WORK/pgferry/base-$c" --to-dir "$WORK/restore-pgferry/data"
  log "restore: pgBackRest ($c)"
  measure "pgbackrest-restore-$c" - pg "${BR[@]}" restore "--pg1-path=$WORK/restore-br" --process-max=2
  rm -rf "$WORK/restore-pgferry/data" "$WORK/restore-br"
  mkdir -p "$WORK/restore-br"
  if [[ $(id -u) == 0 ]]; then chown postgres "$WORK/restore-br"; fi
done

WAL_PART=1
if [[ $LOAD_SECONDS == 0 ]]; then WAL_PART=; fi
if [[ -n $WAL_PART ]]; then
log "WAL: pgbench -i, then pgferry wal stream and pgBackRest archive-push under $LOAD_SECONDS s of pgbench -c $CLIENTS"
pgbench -i -q -s "$PGBENCH_SCALE" "$URL/bench" >"$WORK/pgbench-init.txt" 2>&1 || { log "pgbench -i failed:"; cat "$WORK/pgbench-init.txt" >&2; exit 1; }
/usr/bin/time -v -o "$WORK/stream-time.txt" "${PGFERRY[@]}" wal stream --from "$URL/postgres" --to "$WORK/wal-pgferry" \
  --slot pgferry_bench --spool-dir "$WORK/spool" --compress "$COMPRESS" >"$WORK/stream.out" 2>"$WORK/stream.err" &
STREAM_PID=$!
until grep -q 'streaming WAL' "$WORK/stream.err" 2>/dev/null; do
  kill -0 "$STREAM_PID" 2>/dev/null || { log "wal stream failed:"; cat "$WORK/stream.err" >&2; exit 1; }
  sleep 0.2
done
FIRST_SEGMENT=$("${PSQL[@]}" -d "$URL/postgres" -c 'SELECT pg_walfile_name(pg_current_wal_lsn())')

# One line per sample: "time cur SEGMENT", then "time pgferry|pgbackrest SEGMENT" for every stored segment.
sample() {
  local now cur
  while [[ ! -e $WORK/stop-sampling ]]; do
    now=$(date +%s.%N)
    cur=$("${PSQL[@]}" -d "$URL/postgres" -c 'SELECT pg_walfile_name(pg_current_wal_lsn())' 2>/dev/null) || cur=
    if [[ -n $cur ]]; then echo "$now cur $cur"; fi
    find "$WORK/wal-pgferry" -type f 2>/dev/null | grep -oE '[0-9A-F]{24}' | sed "s/^/$now pgferry /" || true
    find "$WORK/br-repo/archive" -type f 2>/dev/null | grep -oE '/[0-9A-F]{24}-' | tr -d '/-' | sed "s/^/$now pgbackrest /" || true
    sleep 0.5
  done
}
"${PSQL[@]}" -d "$URL/bench" -c 'CREATE TABLE wal_load (id bigserial PRIMARY KEY, payload text)'
# TPC-B alone writes little WAL per second; a 100-row insert beside it fills segments steadily.
echo "INSERT INTO wal_load (payload) SELECT md5(g::text) || repeat('x', 200) FROM generate_series(1, 100) g;" >"$WORK/insert.sql"
sample >"$WORK/samples.txt" &
SAMPLER=$!
pgbench -n -c "$CLIENTS" -j "$CLIENTS" -T "$LOAD_SECONDS" -b tpcb-like@1 -f "$WORK/insert.sql@1" "$URL/bench" >"$WORK/pgbench.txt" 2>&1
LOAD_END_SEGMENT=$("${PSQL[@]}" -d "$URL/postgres" -c 'SELECT pg_walfile_name(pg_current_wal_lsn())')
# Let both tools store the segments completed under load, then stop sampling.
sleep 15
touch "$WORK/stop-sampling"; wait "$SAMPLER"
# TERM the streamer itself (GNU time does not forward signals) so it stops cleanly and time reports it.
pkill -TERM -P "$STREAM_PID" || true; wait "$STREAM_PID" || true; STREAM_PID=
TPS=$(awk '/^tps/ {printf "%.0f", $3; exit}' "$WORK/pgbench.txt")

# Per tool: lag of each segment completed under load (FIRST_SEGMENT ≤ s < LOAD_END_SEGMENT).
wal_stats() {
  awk -v tool="$1" -v first="$FIRST_SEGMENT" -v last="$LOAD_END_SEGMENT" '
    $2 == "cur" { c = $3 ""; for (s in open) if (s < c && !(s in done)) done[s] = $1; open[c] = 1 }
    $2 == tool && !(($3 "") in seen) { seen[$3 ""] = $1 }
    END {
      n = 0; missing = 0
      for (s in done) {
        if (s < (first "") || s >= (last "")) continue
        if (!(s in seen)) { missing++; continue }
        lag = seen[s] - done[s]; if (lag < 0) lag = 0
        lags[++n] = lag
      }
      asort(lags)
      if (n == 0) { print "0 - - " missing; exit }
      printf "%d %.1f %.1f %d\n", n, lags[int((n + 1) / 2)], lags[n], missing
    }' "$WORK/samples.txt"
}
read -r PGF_SEGS PGF_P50 PGF_MAX PGF_MISSING < <(wal_stats pgferry)
read -r BR_SEGS BR_P50 BR_MAX BR_MISSING < <(wal_stats pgbackrest)
STREAM_RSS=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2 / 1024}' "$WORK/stream-time.txt")
fi

row() {
  local file=$WORK/results/$2
  [[ -s $file ]] || { printf '%-26s %12s %10s %12s %8s\n' "$1" failed - - -; return; }
  awk -v label="$1" '{printf "%-26s %12s %10s %12.0f %8s\n", label, $1, ($3 > 0 ? sprintf("%.1f", $3 / 1048576) : "-"), $2 / 1024, $4}' "$file"
}
printf '\nbench/pitr.sh SCALE=%s COMPRESS="%s" (PostgreSQL %s, cluster %s MB, pgBackRest %s, node %s, %s cores, load %s)\n' "$SCALE" "${COMPRESSIONS[*]}" \
  "$("${PSQL[@]}" -d "$URL/postgres" -c 'SHOW server_version')" "$CLUSTER_MB" "$(pgbackrest version | awk '{print $2}')" "$(node --version)" "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-26s %12s %10s %12s %8s\n' step "wall s" "stored MB" "peak RSS MB" "CPU s"
for c in "${COMPRESSIONS[@]}"; do
  if [[ -n $BEFORE ]]; then row "backup pgferry-before $c" "before-backup-$c"; fi
  row "backup pgferry -j2 $c" "pgferry-backup-$c"
  row "backup pgBackRest p2 $c" "pgbackrest-backup-$c"
  if [[ -n $BEFORE ]]; then row "restore pgferry-before $c" "before-restore-$c"; fi
  row "restore pgferry $c" "pgferry-restore-$c"
  row "restore pgBackRest p2 $c" "pgbackrest-restore-$c"
done
[[ -n $WAL_PART ]] || exit 0
printf '\nWAL under pgbench -c %s for %s s (tpcb-like + 100-row inserts): %s tps, segments %s..%s\n' "$CLIENTS" "$LOAD_SECONDS" "${TPS:-?}" "$FIRST_SEGMENT" "$LOAD_END_SEGMENT"
printf '%-22s %9s %11s %11s %9s %12s\n' tool segments "lag p50 s" "lag max s" missing "peak RSS MB"
printf '%-22s %9s %11s %11s %9s %12s\n' 'pgferry wal stream' "$PGF_SEGS" "$PGF_P50" "$PGF_MAX" "$PGF_MISSING" "$STREAM_RSS"
printf '%-22s %9s %11s %11s %9s %12s\n' 'pgBackRest push' "$BR_SEGS" "$BR_P50" "$BR_MAX" "$BR_MISSING" -
